package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The step's detail decision ({@code isSampled(n, now)}, taken when a step opens) and the question the GPU window
 * and the engine profiler ask right after it ({@code isSampled(n)}, no side effect) must agree, including for the
 * steps that a rule by time chose.
 */
class SamplingDecisionTest {
  /** Far past any interval sample an earlier test in this JVM may have taken. */
  private static final long LATER = System.nanoTime() + 3_600_000_000_000L;

  @AfterEach
  void reset() {
    Recorder.setHeadSampling(1, 0);
    Recorder.setTimeWindow(Long.MAX_VALUE, Long.MIN_VALUE);
    Recorder.setStepWindow(Long.MAX_VALUE, -1);
    Recorder.setDetailAll(false);
  }

  @Test
  void aStepChosenByTheIntervalIsSampledForWhoeverAsksAfterwards() {
    Recorder.setHeadSampling(0, 1_000_000_000L);
    assertTrue(Recorder.isSampled(101, LATER));
    assertTrue(Recorder.isSampled(101));
    assertFalse(Recorder.isSampled(102, LATER + 1_000), "same interval");
    assertFalse(Recorder.isSampled(102));
    assertTrue(Recorder.isSampled(103, LATER + 2_000_000_000L), "next interval");
    assertTrue(Recorder.isSampled(103));
    assertFalse(Recorder.isSampled(101), "only the latest step chosen by time is remembered");
  }

  @Test
  void aStepOpeningInAWindowByTimeIsSampledAndTheNextOneAfterItIsNot() {
    Recorder.setHeadSampling(0, 0);
    Recorder.setTimeWindow(LATER, LATER + 1_000);
    assertTrue(Recorder.isSampled(200, LATER + 10));
    assertTrue(Recorder.isSampled(200));
    assertFalse(Recorder.isSampled(201, LATER + 1_000), "the window's end is exclusive");
    assertFalse(Recorder.isSampled(201));
  }

  @Test
  void theRulesByNumberNeedNoDecisionFirst() {
    Recorder.setHeadSampling(10, 0);
    assertTrue(Recorder.isSampled(30));
    assertFalse(Recorder.isSampled(31));
    Recorder.setStepWindow(31, 32);
    assertTrue(Recorder.isSampled(31));
    assertFalse(Recorder.isSampled(33));
    Recorder.setDetailAll(true);
    assertTrue(Recorder.isSampled(33));
  }
}
