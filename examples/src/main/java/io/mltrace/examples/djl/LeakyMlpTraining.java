package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import io.mltrace.examples.Args;
import java.util.ArrayDeque;

/**
 * A small MLP that, in each step, keeps one float32 array of known size in a manager that lives as long as the
 * job: the memory leak that the leak finder must name, with its creation line.
 *
 * <p>{@code --steps N --leak-bytes B --keep-steps K --batch B --hidden H --min-seconds S}: each step creates
 * {@code B} bytes ({@code B/4} floats; 0: none) on one line of {@link #keepOne}, and closes it {@code K} steps later
 * ({@code K < 0}: never, the leak; {@code 0}: in the same step; more: closed late, but closed); the job trains
 * {@code N} steps, and on until {@code S} seconds have passed since its first (0: no longer). Prints the leak's
 * creation site ({@code leak site Class.method(File:line)}) as the JVM itself names it, then {@code done}.
 */
public final class LeakyMlpTraining {
  private LeakyMlpTraining() {}

  /** The name of the manager the kept arrays live in (the agent labels a step's surviving arrays by manager). */
  public static final String KEPT_MANAGER = "kept arrays";

  /** The line of the array creation in {@link #keepOne}, read from the JVM's own stack trace. */
  private static int leakLine;

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int steps = Args.integer(args, "--steps", 200);
    long leakBytes = Args.longValue(args, "--leak-bytes", 256 * 1024);
    int keepSteps = Args.integer(args, "--keep-steps", -1);
    int batch = Args.integer(args, "--batch", 16);
    int hidden = Args.integer(args, "--hidden", 32);
    long minNanos = Args.longValue(args, "--min-seconds", 0) * 1_000_000_000L;
    int inputs = 64;
    int classes = 4;
    int datasetBatches = 8;

    Engine.getEngine("PyTorch").setRandomSeed(7);
    ArrayDeque<NDArray> kept = new ArrayDeque<>();
    try (NDManager manager = NDManager.newBaseManager();
        NDManager longLived = NDManager.newBaseManager();
        Model model = Model.newInstance("leaky-mlp")) {
      longLived.setName(KEPT_MANAGER);
      NDArray x = manager.randomNormal(new Shape((long) datasetBatches * batch, inputs));
      NDArray y = x.sum(new int[] {1}).gt(0).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
      ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build();
      model.setBlock(MlpTraining.block(inputs, hidden, classes));
      int done = 0;
      try (Trainer trainer = model.newTrainer(MlpTraining.sgd(Loss.softmaxCrossEntropyLoss()))) {
        trainer.initialize(new Shape(batch, inputs));
        long started = System.nanoTime();
        while (done < steps || System.nanoTime() - started < minNanos) {
          for (Batch b : trainer.iterateDataset(dataset)) {
            EasyTrain.trainBatch(trainer, b);
            if (leakBytes > 0) {
              kept.addLast(keepOne(longLived, leakBytes / 4));
              while (!kept.isEmpty() && keepSteps >= 0 && kept.size() > keepSteps) {
                kept.removeFirst().close();
              }
            }
            trainer.step();
            b.close();
            if (++done >= steps && System.nanoTime() - started >= minNanos) {
              break;
            }
          }
        }
      }
      if (leakBytes > 0) {
        System.out.println("leak site " + LeakyMlpTraining.class.getName() + ".keepOne(LeakyMlpTraining.java:"
            + leakLine + ")");
      }
      System.out.println("done " + done + " steps, " + kept.size() + " arrays kept");
    }
  }

  /** Creates the array that the step keeps; one line, so that the JVM's line for it is the site's. */
  private static NDArray keepOne(NDManager longLived, long floats) {
    NDArray a = longLived.zeros(new Shape(floats)); leakLine = new Throwable().getStackTrace()[0].getLineNumber();
    return a;
  }
}
