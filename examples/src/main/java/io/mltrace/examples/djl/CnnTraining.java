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
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.mltrace.examples.Args;
import java.util.Locale;

/**
 * A small CNN (conv 3×3 + ReLU + 2×2 max pool + linear) on synthetic 8-bit images, trained with a hand-written loop
 * (forward, loss, backward, {@code Trainer.step}) rather than {@code EasyTrain}. Each batch is converted from
 * {@code uint8} to {@code float32} on the way in, as image pipelines do.
 *
 * <p>{@code --steps N --batch B --filters F --size S --seed S}. Prints {@code final loss <value> after <n> steps}.
 */
public final class CnnTraining {
  private CnnTraining() {}

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int steps = Args.integer(args, "--steps", 30);
    int batch = Args.integer(args, "--batch", 32);
    int filters = Args.integer(args, "--filters", 8);
    int size = Args.integer(args, "--size", 28);
    int seed = Args.integer(args, "--seed", 42);
    int classes = 10;

    Engine.getEngine("PyTorch").setRandomSeed(seed);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("cnn")) {
      long samples = (long) steps * batch;
      NDArray pixels = manager.randomNormal(new Shape(samples, 1, size, size)).mul(40).add(128).clip(0, 255)
          .toType(DataType.UINT8, false);
      NDArray x = pixels.toType(DataType.FLOAT32, false).div(255f);
      NDArray projection = manager.randomNormal(new Shape((long) size * size, classes));
      NDArray y = x.reshape(samples, (long) size * size).sub(0.5f).matMul(projection).argMax(1)
          .toType(DataType.FLOAT32, false);
      ArrayDataset dataset = new ArrayDataset.Builder().setData(pixels).optLabels(y).setSampling(batch, false)
          .build();

      SequentialBlock cnn = new SequentialBlock()
          .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(filters).build())
          .add(Activation::relu)
          .add(Pool.maxPool2dBlock(new Shape(2, 2)))
          .add(Blocks.batchFlattenBlock())
          .add(Linear.builder().setUnits(classes).build());
      model.setBlock(cnn);
      Loss lossFunction = Loss.softmaxCrossEntropyLoss();
      DefaultTrainingConfig config = new DefaultTrainingConfig(lossFunction)
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(batch, 1, size, size));
        int done = 0;
        while (done < steps) {
          for (Batch b : trainer.iterateDataset(dataset)) {
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDArray images = b.getData().head().toType(DataType.FLOAT32, false).div(255f);
              NDList predictions = trainer.forward(new NDList(images));
              NDArray loss = trainer.getLoss().evaluate(b.getLabels(), predictions);
              collector.backward(loss);
            }
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
