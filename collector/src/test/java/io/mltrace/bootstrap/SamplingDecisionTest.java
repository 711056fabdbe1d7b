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
    Sampling.install(SamplingPolicy.DEFAULT);
  }

  @Test
  void aStepChosenByTheIntervalIsSampledForWhoeverAsksAfterwards() {
    Sampling.update(sp -> sp.withHeadSampling(0, 1_000_000_000L));
    assertTrue(Sampling.isSampled(101, LATER));
    assertTrue(Sampling.isSampled(101));
    assertFalse(Sampling.isSampled(102, LATER + 1_000), "same interval");
    assertFalse(Sampling.isSampled(102));
    assertTrue(Sampling.isSampled(103, LATER + 2_000_000_000L), "next interval");
    assertTrue(Sampling.isSampled(103));
    assertFalse(Sampling.isSampled(101), "only the latest step chosen by time is remembered");
  }

  @Test
  void aStepOpeningInAWindowByTimeIsSampledAndTheNextOneAfterItIsNot() {
    Sampling.update(sp -> sp.withHeadSampling(0, 0));
    Sampling.update(sp -> sp.withTimeWindow(LATER, LATER + 1_000));
    assertTrue(Sampling.isSampled(200, LATER + 10));
    assertTrue(Sampling.isSampled(200));
    assertFalse(Sampling.isSampled(201, LATER + 1_000), "the window's end is exclusive");
    assertFalse(Sampling.isSampled(201));
  }

  @Test
  void theRulesByNumberNeedNoDecisionFirst() {
    Sampling.update(sp -> sp.withHeadSampling(10, 0));
    assertTrue(Sampling.isSampled(30));
    assertFalse(Sampling.isSampled(31));
    Sampling.update(sp -> sp.withStepWindow(31, 32));
    assertTrue(Sampling.isSampled(31));
    assertFalse(Sampling.isSampled(33));
    Sampling.update(sp -> sp.withDetailAll(true));
    assertTrue(Sampling.isSampled(33));
  }

  @Test
  void aWindowIsInstalledWholeAndReplacesTheOtherKind() {
    SamplingPolicy byNumber = SamplingPolicy.DEFAULT.withHeadSampling(0, 0).withStepWindow(40, 42);
    Sampling.install(byNumber);
    assertTrue(Sampling.isSampled(40) && Sampling.isSampled(42));
    assertFalse(Sampling.isSampled(43));
    Sampling.install(byNumber.withTimeWindow(LATER, LATER + 1_000));
    assertFalse(Sampling.isSampled(41), "a window by time replaces the window by number");
    assertTrue(Sampling.isSampled(500, LATER + 1));
    Sampling.install(Sampling.policy().withoutWindow());
    assertFalse(Sampling.isSampled(501, LATER + 2));
    assertFalse(Sampling.isSampled(41));
  }
}
