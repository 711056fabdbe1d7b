package io.mltrace.examples.groundtruth;

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
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.mltrace.examples.Args;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * A DJL MLP whose data loader sleeps {@code --data-sleep-ms} per batch, which forces a GC ({@link ForcedGc}) in the steps
 * listed by {@code --gc-steps 3,7}, and whose training listener spins {@code --listener-busy-ms} per batch in
 * {@link BusyListener#spin}. Prints, per step, the batch fetch-and-release time and {@code System.gc()} time it measured itself
 * ({@code groundtruth step N fetch_ns X close_ns Y gc_call_ns Z input_ns W}; the batch is closed after the optimizer
 * step, so its release falls in the next step; {@code input_ns} is all of the loop's own time between the previous
 * step's {@code trainer.step()} returning and this step's {@code trainBatch} call: the release, the fetch, and the
 * loop's bookkeeping between them), and at the end {@code final loss <value>}.
 */
public final class DjlGroundTruth {
  private DjlGroundTruth() {}

  /** An in-memory dataset whose every batch fetch takes a known extra time. */
  static final class SlowDataset extends ArrayDataset {
    private final long sleepMillis;

    SlowDataset(ArrayDataset.Builder builder, long sleepMillis) {
      super(builder);
      this.sleepMillis = sleepMillis;
    }

    @Override
    public Batch getByRange(NDManager manager, long fromIndex, long toIndex) {
      pause();
      return super.getByRange(manager, fromIndex, toIndex);
    }

    @Override
    public Batch getByIndices(NDManager manager, long... indices) {
      pause();
      return super.getByIndices(manager, indices);
    }

    private void pause() {
      try {
        Thread.sleep(sleepMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A listener that burns CPU in its own frame on every training batch. */
  public static final class BusyListener extends TrainingListenerAdapter {
    private final long busyNanos;
    private volatile long sink;

    BusyListener(long busyMillis) {
      this.busyNanos = busyMillis * 1_000_000L;
    }

    @Override
    public void onTrainingBatch(Trainer trainer, TrainingListener.BatchData batchData) {
      if (busyNanos > 0) {
        sink = spin(busyNanos);
      }
    }

    /** Pure arithmetic, so that execution samples find this method on top. */
    static long spin(long nanos) {
      long end = System.nanoTime() + nanos;
      long x = 17;
      while (System.nanoTime() < end) {
        for (int i = 0; i < 2000; i++) {
          x = x * 6364136223846793005L + 1442695040888963407L;
        }
      }
      return x;
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    int steps = Args.integer(args, "--steps", 30);
    int batch = 64;
    long sleepMs = Args.integer(args, "--data-sleep-ms", 0);
    long busyMs = Args.integer(args, "--listener-busy-ms", 0);
    Set<Integer> gcSteps = new HashSet<>();
    for (String s : Args.string(args, "--gc-steps", "").split(",")) {
      if (!s.isBlank()) {
        gcSteps.add(Integer.parseInt(s.trim()));
      }
    }
    Engine.getEngine("PyTorch").setRandomSeed(7);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("mlp")) {
      NDArray x = manager.randomNormal(new Shape((long) steps * batch, 784));
      NDArray y = x.matMul(manager.randomNormal(new Shape(784, 10))).argMax(1).toType(DataType.FLOAT32, false);
      ArrayDataset.Builder builder = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false);
      SlowDataset dataset = new SlowDataset(builder, sleepMs);
      model.setBlock(new SequentialBlock()
          .add(Blocks.batchFlattenBlock(784))
          .add(Linear.builder().setUnits(128).build())
          .add(Activation::relu)
          .add(Linear.builder().setUnits(10).build()));
      Loss loss = Loss.softmaxCrossEntropyLoss();
      DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
          .addTrainingListeners(new BusyListener(busyMs));
      try (Trainer trainer = model.newTrainer(config)) {
        trainer.initialize(new Shape(batch, 784));
        int step = 0;
        StringBuilder log = new StringBuilder();
        Iterator<Batch> batches = trainer.iterateDataset(dataset).iterator();
        long previousStepReturned = System.nanoTime();
        while (step < steps) {
          // Ground truth, measured by the application itself around each call: getting a batch (hasNext and
          // next) and releasing it (close) are the data pipeline's work for the step.
          long t0 = System.nanoTime();
          if (!batches.hasNext()) {
            break;
          }
          Batch b = batches.next();
          long fetchNs = System.nanoTime() - t0;
          step++;
          long inputNs = System.nanoTime() - previousStepReturned;
          EasyTrain.trainBatch(trainer, b);
          long gcNs = 0;
          if (gcSteps.contains(step)) {
            long g0 = System.nanoTime();
            ForcedGc.collect();
            gcNs = System.nanoTime() - g0;
          }
          trainer.step();
          previousStepReturned = System.nanoTime();
          long c0 = previousStepReturned;
          b.close();
          long closeNs = System.nanoTime() - c0;
          // Printed after the loop: printing here would be the loop's own work between two iterations, which
          // the agent counts as the next step's input time (data), and the first print loads classes.
          log.append("groundtruth step ").append(step).append(" fetch_ns ").append(fetchNs).append(" close_ns ")
              .append(closeNs).append(" gc_call_ns ").append(gcNs).append(" input_ns ").append(inputNs).append('\n');
        }
        System.out.print(log);
        float value = loss.evaluate(new NDList(y.get("0:" + batch)), trainer.forward(new NDList(x.get("0:" + batch))))
            .getFloat();
        System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps", value, step));
      }
    }
  }


}
