package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Locale;

/**
 * The training loop the case-study jobs share: {@code steps} batches of {@code batch} examples from in-memory
 * synthetic data, each {@code trainBatch} then {@code step}. Prints the mean step time it measured.
 */
final class SyntheticTraining {
  private SyntheticTraining() {}

  static void train(String name, Block block, NDArray x, NDArray y, Loss loss, int batch, int steps) throws Exception {
    try (Model model = Model.newInstance(name)) {
      model.setBlock(block);
      ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build();
      DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
      try (Trainer trainer = model.newTrainer(config)) {
        long[] dims = x.getShape().getShape().clone();
        dims[0] = batch;
        trainer.initialize(new Shape(dims));
        int step = 0;
        long start = System.nanoTime();
        for (Batch b : trainer.iterateDataset(data)) {
          EasyTrain.trainBatch(trainer, b);
          trainer.step();
          b.close();
          if (++step == steps) {
            break;
          }
        }
        double ms = (System.nanoTime() - start) / 1e6 / Math.max(1, step);
        System.out.println(String.format(Locale.ROOT, "%s: %d steps, %.2f ms per step", name, step, ms));
      }
    }
  }
}
