package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.mltrace.examples.Args;
import java.util.Locale;

/**
 * A stacked LSTM (batch-first sequences) with a linear head on the flattened outputs, regressing a fixed linear
 * function of the sequence, trained with {@code EasyTrain.trainBatch} and the default training listeners
 * (so the {@code TrainingListener} callbacks run in every step).
 *
 * <p>{@code --steps N --batch B --seq T --features F --hidden H --layers L --seed S}. Prints
 * {@code final loss <value> after <n> steps}.
 */
public final class LstmTraining {
  private LstmTraining() {}

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int steps = Args.integer(args, "--steps", 30);
    int batch = Args.integer(args, "--batch", 16);
    int seq = Args.integer(args, "--seq", 12);
    int features = Args.integer(args, "--features", 16);
    int hidden = Args.integer(args, "--hidden", 32);
    int layers = Args.integer(args, "--layers", 2);
    int seed = Args.integer(args, "--seed", 42);

    Engine.getEngine("PyTorch").setRandomSeed(seed);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("lstm")) {
      long samples = (long) steps * batch;
      NDArray x = manager.randomNormal(new Shape(samples, seq, features));
      NDArray weights = manager.randomNormal(new Shape((long) seq * features, 1)).div(seq * features);
      NDArray y = x.reshape(samples, (long) seq * features).matMul(weights);
      ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build();

      SequentialBlock net = new SequentialBlock()
          .add(LSTM.builder().setStateSize(hidden).setNumLayers(layers).optBatchFirst(true).optReturnState(false)
              .build())
          .add(Blocks.batchFlattenBlock())
          .add(Linear.builder().setUnits(1).build());
      model.setBlock(net);
      Loss lossFunction = Loss.l2Loss();
      DefaultTrainingConfig config = new DefaultTrainingConfig(lossFunction)
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
          .addTrainingListeners(TrainingListener.Defaults.basic());
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(batch, seq, features));
        int done = 0;
        while (done < steps) {
          for (Batch b : trainer.iterateDataset(dataset)) {
            EasyTrain.trainBatch(trainer, b);
            trainer.step();
            b.close();
            if (++done == steps) {
              break;
            }
          }
        }
        NDList first = new NDList(x.get("0:" + batch));
        float loss = lossFunction.evaluate(new NDList(y.get("0:" + batch)), trainer.forward(first)).getFloat();
        System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps", loss, done));
      }
    }
  }
}
