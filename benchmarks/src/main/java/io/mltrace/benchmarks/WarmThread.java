package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;

/** Benchmark set-up: the calling thread closes its warm-up steps, as a training thread has after a few iterations. */
final class WarmThread {
  /** More than {@code ThreadRecorder.WARM_STEPS}: a thread's first steps time every op. */
  private static final int STEPS = 4;

  private WarmThread() {}

  /** Closes the warm-up steps on this thread; a step stays open afterwards (counted or detailed, as configured). */
  static void closeWarmUpSteps() {
    for (int i = 0; i < STEPS; i++) {
      ThreadRecorder tr = Recorder.enterStepEnd();
      Recorder.exitStepEnd(tr, "warm-up");
    }
  }
}
