package io.mltrace.benchmarks.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A pair's figures: its training threads' CPU is read by thread name, and missing when a side has none. */
class LockstepPairResultTest {
  private static LockstepPair.Side side(Map<String, Long> threads) {
    return new LockstepPair.Side(new long[] {10, 20, 30}, 100, threads, Set.of(), null);
  }

  @Test
  void theTrainingThreadsCpuIsComparedAloneNotTheBackgroundThreads() {
    LockstepPair.Result r = new LockstepPair.Result(
        side(Map.of(LockstepPair.TRAINING_THREAD, 2_120_000_000L, "C2 CompilerThre", 2_000_000_000L)),
        side(Map.of(LockstepPair.TRAINING_THREAD, 2_000_000_000L, "C2 CompilerThre", 900_000_000L)));
    assertEquals(1.06, r.trainingCpuRatio(), 1e-9);
    assertEquals(1.0, r.cpuRatio(), 1e-9, "all threads: the sides' totals, as given");
  }

  @Test
  void aSideWithoutATrainingThreadGivesNoRatio() {
    LockstepPair.Result r = new LockstepPair.Result(side(Map.of("other", 5L)),
        side(Map.of(LockstepPair.TRAINING_THREAD, 5L)));
    assertTrue(Double.isNaN(r.trainingCpuRatio()));
  }
}
