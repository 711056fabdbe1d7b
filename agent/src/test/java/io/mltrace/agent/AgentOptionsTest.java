package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
  @Test
  void defaultsApplyWithNothingSet() {
    AgentOptions o = AgentOptions.parse(null, Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertEquals(Paths.get("mltrace-out"), o.output());
    assertEquals("steps", o.console());
    assertEquals(100, o.sampleEvery(), "production sampling by default: one detailed step in 100");
  }

  @Test
  void agentArgumentBeatsPropertyBeatsEnvironment() {
    AgentOptions o = AgentOptions.parse("output=/a", Map.of("mltrace.output", "/b"), Map.of("MLTRACE_OUTPUT", "/c"));
    assertEquals(Paths.get("/a"), o.output());
    o = AgentOptions.parse("", Map.of("mltrace.output", "/b"), Map.of("MLTRACE_OUTPUT", "/c"));
    assertEquals(Paths.get("/b"), o.output());
    o = AgentOptions.parse("", Map.of(), Map.of("MLTRACE_OUTPUT", "/c"));
    assertEquals(Paths.get("/c"), o.output());
  }

  @Test
  void unknownKeyGivesOneLineNamingTheValidOptions() {
    AgentOptions o = AgentOptions.parse("output=x,colour=blue", Map.of(), Map.of());
    assertEquals(1, o.problems().size());
    assertTrue(o.problems().get(0).contains("unknown option 'colour'"));
    for (String key : AgentOptions.KEYS) {
      assertTrue(o.problems().get(0).contains(key), key);
    }
    assertEquals(Paths.get("x"), o.output());
  }

  @Test
  void badValuesFallBackToTheDefaultWithOneLineEach() {
    AgentOptions o = AgentOptions.parse("report_interval=soon,sample_every=0,console=loud", Map.of(), Map.of());
    assertEquals(3, o.problems().size(), o.problems().toString());
    assertEquals(10, o.reportIntervalSeconds());
    assertEquals(100, o.sampleEvery());
    assertEquals("steps", o.console());
  }

  @Test
  void theStepBoundaryWarmUpIsAutoByDefaultAndTakesOnOffOrAuto() {
    boolean spareCpus = Runtime.getRuntime().availableProcessors() > AgentOptions.AUTO_WARM_UP_ABOVE_CPUS;
    assertEquals(spareCpus, AgentOptions.parse(null, Map.of(), Map.of()).warmUp());
    AgentOptions o = AgentOptions.parse("warm_up=off", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertFalse(o.warmUp());
    o = AgentOptions.parse("warm_up=on", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertTrue(o.warmUp());
    o = AgentOptions.parse("warm_up=auto", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertEquals(spareCpus, o.warmUp());
    o = AgentOptions.parse("warm_up=later", Map.of(), Map.of());
    assertEquals(1, o.problems().size(), o.problems().toString());
    assertTrue(o.problems().get(0).contains("warm_up"), o.problems().get(0));
    assertEquals(spareCpus, o.warmUp(), "a bad value falls back to the default");
  }

  @Test
  void autoWarmsUpOnlyWithACpuToSpare() {
    assertFalse(AgentOptions.warmUp("auto", 1));
    assertFalse(AgentOptions.warmUp("auto", 2));
    assertTrue(AgentOptions.warmUp("auto", 3));
    assertTrue(AgentOptions.warmUp("auto", 64));
    assertTrue(AgentOptions.warmUp("on", 2));
    assertFalse(AgentOptions.warmUp("off", 64));
  }

  @Test
  void gpuOptionsDefaultToAutoAndRejectUnknownModes() {
    AgentOptions o = AgentOptions.parse(null, Map.of(), Map.of());
    assertEquals("auto", o.gpu());
    assertEquals(null, o.cuptiPath());
    o = AgentOptions.parse("gpu=off,cupti_path=/opt/cuda/lib64/libcupti.so.13", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertEquals("off", o.gpu());
    assertEquals("/opt/cuda/lib64/libcupti.so.13", o.cuptiPath());
    o = AgentOptions.parse("gpu=always", Map.of(), Map.of());
    assertEquals(1, o.problems().size());
    assertTrue(o.problems().get(0).contains("gpu='always' must be one of auto, off"), o.problems().get(0));
    assertEquals("auto", o.gpu());
  }

  @Test
  void memoryIsOnByDefaultAndOffOnlyWhenAsked() {
    assertTrue(AgentOptions.parse(null, Map.of(), Map.of()).memory());
    assertTrue(!AgentOptions.parse(null, Map.of(), Map.of()).nd4jTensors(), "ND4J's buffers only when asked");
    AgentOptions full = AgentOptions.parse("memory=full", Map.of(), Map.of());
    assertTrue(full.problems().isEmpty() && full.memory() && full.nd4jTensors());
    AgentOptions o = AgentOptions.parse("memory=off", Map.of(), Map.of());
    assertTrue(o.problems().isEmpty());
    assertTrue(!o.memory());
    o = AgentOptions.parse("memory=false", Map.of(), Map.of());
    assertEquals(1, o.problems().size());
    assertTrue(o.problems().get(0).contains("memory='false' must be on, off or full"), o.problems().get(0));
    assertTrue(o.memory(), "a bad value leaves the default");
  }
}
