package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.mltrace.examples.Args;
import io.mltrace.examples.StopFile;
import java.util.Locale;

/**
 * An MLP (784-128-10 by default) trained with SGD on synthetic, learnable data for a fixed number of steps.
 *
 * <p>{@code --steps N --batch B --hidden H --seed S [--dataset-batches D] [--optimizer sgd|adam] [--stop-file F]}
 * ({@link io.mltrace.examples.StopFile}: end before N steps when told). Prints one line at the end:
 * {@code final loss <value>}.
 */
public final class MlpTraining {
  private MlpTraining() {}

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int steps = Args.integer(args, "--steps", 50);
    int batch = Args.integer(args, "--batch", 64);
    int hidden = Args.integer(args, "--hidden", 128);
    int seed = Args.integer(args, "--seed", 42);
    // Batches in the synthetic dataset; fewer than --steps: the loop goes over it again (a long soak's memory).
    int datasetBatches = Math.min(steps, Args.integer(args, "--dataset-batches", steps));
    StopFile stop = StopFile.of(args);
    int inputs = 784;
    int classes = 10;

    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed(seed);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("mlp")) {
      // Labels are a fixed linear function of the inputs, so the loss falls as the model learns.
      long samples = (long) datasetBatches * batch;
      NDArray x = manager.randomNormal(new Shape(samples, inputs));
      NDArray projection = manager.randomNormal(new Shape(inputs, classes));
      NDArray y = x.matMul(projection).argMax(1).toType(DataType.FLOAT32, false);
      ArrayDataset dataset = new ArrayDataset.Builder()
          .setData(x)
          .optLabels(y)
          .setSampling(batch, false)
          .build();

      model.setBlock(block(inputs, hidden, classes));
      Loss lossFunction = Loss.softmaxCrossEntropyLoss();
      DefaultTrainingConfig config = Args.string(args, "--optimizer", "sgd").equals("adam")
          ? new DefaultTrainingConfig(lossFunction).optOptimizer(Optimizer.adam().build())
          : sgd(lossFunction);
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(batch, inputs));
        int done = 0;
        boolean stopped = false;
        while (done < steps && !stopped) {
          for (Batch b : trainer.iterateDataset(dataset)) {
            EasyTrain.trainBatch(trainer, b);
            trainer.step();
            b.close();
            stopped = stop.reached(++done);
            if (done == steps || stopped) {
              break;
            }
          }
        }
        // The loss on the first batch after training: identical for identical seeds.
        NDArray xEval = x.get("0:" + batch);
        NDArray yEval = y.get("0:" + batch);
        float loss = lossFunction.evaluate(new NDList(yEval), trainer.forward(new NDList(xEval))).getFloat();
        System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps", loss, done));
      }
    }
  }

  /** The MLP: inputs flattened, one hidden ReLU layer, the class scores. */
  static SequentialBlock block(int inputs, int hidden, int classes) {
    return new SequentialBlock()
        .add(Blocks.batchFlattenBlock(inputs))
        .add(Linear.builder().setUnits(hidden).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
  }

  /** Plain SGD at a fixed learning rate of 0.05. */
  static DefaultTrainingConfig sgd(Loss loss) {
    return new DefaultTrainingConfig(loss)
        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
  }
}
