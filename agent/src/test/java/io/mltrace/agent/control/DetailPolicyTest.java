package io.mltrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.SamplingPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DetailPolicyTest {
  @Test
  void theGuardsLadderGoesFromFullToCountersAndStops() {
    List<String> steps = new ArrayList<>();
    DetailPolicy p = new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true);
    while (p != null) {
      steps.add(p.describe());
      p = p.lowered();
      assertTrue(steps.size() < 20, "the ladder ends: " + steps);
    }
    assertEquals("full: every step detailed, op spans on", steps.get(0));
    assertEquals("default: 1 step in 10, op spans on", steps.get(1));
    assertEquals("default: 1 step in 10, op spans off", steps.get(2));
    assertEquals("default: counters and breakdown only, op spans off", steps.get(steps.size() - 1));
  }

  @Test
  void tailSamplingGoesFirstThenOpSpans() {
    DetailPolicy p = new DetailPolicy(Mode.DEFAULT, 100, 0, 99, 200, true);
    assertEquals("default: 1 step in 100, tail p99 of 200, op spans on", p.describe());
    DetailPolicy q = p.lowered();
    assertFalse(q.tailSampling());
    assertTrue(q.opSpans);
    assertFalse(q.lowered().opSpans);
  }

  @Test
  void intervalSamplingTakesPrecedenceOverCountAndThinsByTen() {
    DetailPolicy p = new DetailPolicy(Mode.DEFAULT, 100, 2_000_000_000L, 0, 200, false);
    assertEquals(0, p.headEvery());
    assertEquals(2_000_000_000L, p.headIntervalNanos());
    assertEquals(20_000_000_000L, p.lowered().headIntervalNanos());
  }

  @Test
  void offIsTheFloor() {
    assertNull(DetailPolicy.off().lowered());
    assertEquals("off: step counters only", DetailPolicy.off().describe());
  }

  @Test
  void theRecordersPolicyCarriesOpTimingDownTheLadderAndAWindowOnTop() {
    DetailPolicy p = new DetailPolicy(Mode.OFF, 0, 0, 0, 200, false).withOpTiming(4, 7);
    SamplingPolicy closed = p.toSampling(null);
    assertFalse(closed.opsTimed(), "off: ops neither timed nor counted");
    assertEquals(4, closed.opTimingEvery());
    SamplingPolicy open = p.toSampling(DetailWindow.steps(10, 12));
    assertTrue(open.opsTimed() && open.opSpans(), "a window turns op timing and spans on whatever the mode");
    DetailPolicy full = new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true).withOpTiming(4, 7);
    assertTrue(full.toSampling(null).detailAll());
    assertEquals(4, full.lowered().toSampling(null).opTimingEvery(), "the guard keeps op timing when it lowers");
    assertFalse(full.lowered().toSampling(null).detailAll());
  }
}
