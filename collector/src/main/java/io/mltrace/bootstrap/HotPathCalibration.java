package io.mltrace.bootstrap;

/**
 * Measures the hot path's own cost on this machine, for the agent's overhead guard: {@link Recorder}'s op entry
 * and exit themselves (not a copy of them), run on a private recorder that no collector sees and that the thread
 * registry never hands out. The one part not measured is the recorder look-up and the switch read in front of them
 * (a few ns; the guard adds a margin for them).
 */
public final class HotPathCalibration {
  private HotPathCalibration() {}

  /**
   * The cost in ns per call: {@code [0]} an op recorded in a detailed step (enter, exit, one record), {@code [1]} an
   * op only counted. The best of {@code rounds} rounds of {@code callsPerRound} calls; takes a few milliseconds.
   */
  public static double[] measure(int callsPerRound, int rounds) {
    ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), 0xfffff, 1024);
    tr.skipWarmUp(); // the counting path runs from the first step, as it does in a job past its first steps
    ThreadRecorder.RecordVisitor discard = (source, slots, base, name) -> { };
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
    for (int round = 0; round < rounds; round++) {
      for (int detailed = 0; detailed < 2; detailed++) {
        // Every op timed in the counted round would be the exact mode; the policy's rate is what a job pays.
        tr.openStep(System.nanoTime(), detailed == 0);
        long t0 = System.nanoTime();
        for (int i = 0; i < callsPerRound; i++) {
          ThreadRecorder entered = Recorder.enterOp(tr);
          Recorder.markOpEnd(entered);
          Recorder.exitOp(entered, Kind.OP_OTHER, "calibration");
          if ((i & 511) == 511) {
            tr.drain(discard);
          }
        }
        double perCall = (double) (System.nanoTime() - t0) / callsPerRound;
        best[detailed] = Math.min(best[detailed], perCall);
        tr.abandonStep();
        tr.drain(discard);
      }
    }
    return best;
  }
}
