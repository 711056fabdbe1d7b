package io.mltrace.examples.groundtruth;

import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Injected ground truth for a DL4J job: after chosen iterations it forces a GC ({@link ForcedGc}), and after every
 * iteration it spins a known time in {@link #spin} (its own frame, for the execution samples). DL4J calls
 * {@code iterationDone} inside {@code Solver.optimize}, so both land inside the training step.
 */
public final class Dl4jGroundTruthListener extends BaseTrainingListener {
  private final Set<Integer> gcSteps;
  private final long busyNanos;
  private int step;
  private volatile long sink;

  public Dl4jGroundTruthListener(Set<Integer> gcSteps, long busyMillis) {
    this.gcSteps = gcSteps;
    this.busyNanos = busyMillis * 1_000_000L;
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    step++;
    if (gcSteps.contains(step)) {
      ForcedGc.collect();
    }
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
