package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.control.Mode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The options of modes, sampling and the guard: parsed, checked with one line each, merged on reconfiguration. */
class ModeOptionsTest {
  @Test
  void defaultsSampleOneStepInAHundred() {
    AgentOptions o = AgentOptions.parse(null, Map.of(), Map.of());
    assertEquals("default", o.mode());
    assertEquals(0, o.sampleIntervalNanos());
    assertEquals(0.0, o.tailPercentile());
    assertEquals(1.0, o.overheadBudgetPercent());
    assertEquals(1, o.attachBatch());
    assertEquals("default: 1 step in 100, op spans on", AgentRuntime.policy(o).describe());
  }

  @Test
  void valuesAreParsed() {
    AgentOptions o = AgentOptions.parse("mode=full,sample_interval=250ms,tail_percentile=99.5,tail_window=50,"
        + "overhead_budget=0.5,attach_batch=3", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty(), o.problems().toString());
    assertEquals(Mode.FULL, AgentRuntime.policy(o).mode());
    assertEquals(250_000_000L, o.sampleIntervalNanos());
    assertEquals(99.5, o.tailPercentile());
    assertEquals(50, o.tailWindow());
    assertEquals(0.5, o.overheadBudgetPercent());
    assertEquals(3, o.attachBatch());
  }

  @Test
  void badValuesGiveOneLineEachAndTheDefault() {
    AgentOptions o = AgentOptions.parse("mode=verbose,sample_interval=soon,tail_percentile=100,overhead_budget=-1",
        Map.of(), Map.of());
    assertEquals(4, o.problems().size(), o.problems().toString());
    assertTrue(o.problems().get(0).contains("mode='verbose' must be one of off, default, full; using default"),
        o.problems().get(0));
    assertEquals("default", o.mode());
    assertEquals(0, o.sampleIntervalNanos());
    assertEquals(0.0, o.tailPercentile());
    assertEquals(1.0, o.overheadBudgetPercent());
  }

  @Test
  void aReconfigurationOverridesOnlyTheKeysItGives() {
    AgentOptions start = AgentOptions.parse("mode=off,output=/tmp/x,sample_every=7", Map.of(), Map.of());
    AgentOptions next = AgentOptions.parse("mode=default", start.asProperties(), Map.of());
    assertEquals("default", next.mode());
    assertEquals(7, next.sampleEvery());
    assertEquals("/tmp/x", next.output().toString());
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    assertEquals(0, Durations.parseNanos("0"));
    assertEquals(1_500_000_000L, Durations.parseNanos("1.5s"));
    assertEquals(120_000_000_000L, Durations.parseNanos("2m"));
    assertEquals(30_000_000_000L, Durations.parseNanos("30"));
    assertEquals(-1, Durations.parseNanos("-1s"));
    assertEquals(-1, Durations.parseNanos("later"));
  }
}
