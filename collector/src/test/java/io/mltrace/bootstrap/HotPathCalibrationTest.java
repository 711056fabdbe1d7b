package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The calibration runs the recorder's own op path on a private recorder: it prices both paths, and nothing it does
 * reaches a recorder that a collector drains.
 */
class HotPathCalibrationTest {
  @Test
  void measuresBothPathsWithoutTouchingTheRegisteredThreads() {
    List<ThreadRecorder> before = new ArrayList<>(ThreadRegistry.threads());
    long steps = Recorder.stepsClosed();
    double[] ns = HotPathCalibration.measure(2_000, 2);
    assertEquals(2, ns.length);
    for (double d : ns) {
      assertTrue(d > 0 && d < 1e6, "a plausible cost per call: " + d);
    }
    assertEquals(before, ThreadRegistry.threads(), "no recorder registered or dropped");
    assertEquals(steps, Recorder.stepsClosed(), "no step closed");
  }
}
