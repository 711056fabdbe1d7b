package io.mltrace.benchmarks.overhead;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
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
import java.util.Iterator;

/**
 * The DJL example's MLP (784-128-10, batch 64, SGD) with each step timed by the job itself, from the batch fetch
 * to the end of the optimizer update. Prints {@code training} when the loop starts and, at the end,
 * {@code step_ns median=<ns> mean=<ns> steps=<n>} over the steps after the warm-up.
 *
 * <p>{@code --steps N --warmup W --batch B --hidden H --seed S --data-batches D --lockstep true|false}: the data
 * holds D batches (default {@code min(N, 600)}) and is iterated again, as a new epoch, when it runs out;
 * {@code --lockstep true} takes one step per turn the harness hands out ({@link StepGate}) instead of N steps.
 */
public final class StepTimeJob {
  private StepTimeJob() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    int steps = Args.intArg(args, "--steps", 600);
    int warmup = Args.intArg(args, "--warmup", 100);
    int batch = Args.intArg(args, "--batch", 64);
    int hidden = Args.intArg(args, "--hidden", 128);
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed(Args.intArg(args, "--seed", 42));
    int dataBatches = Args.intArg(args, "--data-batches", Math.min(steps, 600));
    StepGate gate = StepGate.fromArgs(args, steps);
    StepTimes times = new StepTimes();
    try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
      NDArray x = manager.randomNormal(new Shape((long) dataBatches * batch, 784));
      NDArray y = x.matMul(manager.randomNormal(new Shape(784, 10))).argMax(1).toType(DataType.FLOAT32, false);
      ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build();
      model.setBlock(new SequentialBlock()
          .add(Blocks.batchFlattenBlock(784))
          .add(Linear.builder().setUnits(hidden).build())
          .add(Activation::relu)
          .add(Linear.builder().setUnits(10).build()));
      DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(batch, 784));
        gate.ready();
        Iterator<Batch> it = trainer.iterateDataset(dataset).iterator();
        for (int i = 0; gate.awaitTurn(i); i++) {
          // The batch fetch (hasNext, then next) opens the agent's step; a new epoch starts when the data runs out.
          long t0 = System.nanoTime();
          if (!it.hasNext()) {
            it = trainer.iterateDataset(dataset).iterator();
          }
          Batch b = it.next();
          EasyTrain.trainBatch(trainer, b);
          trainer.step();
          b.close();
          long ns = System.nanoTime() - t0;
          times.add(ns);
          gate.stepDone(ns);
        }
      }
    }
    System.out.println(times.summary(warmup));
  }

}
