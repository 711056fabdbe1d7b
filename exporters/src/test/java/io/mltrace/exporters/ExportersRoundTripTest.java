package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records real steps through the recorder and collector, writes every file, and reads it back. */
class ExportersRoundTripTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @AfterEach
  void off() {
    Recorder.setEnabled(false);
  }

  private static void record(int steps) throws InterruptedException {
    Thread t = new Thread(() -> {
      for (int i = 0; i < steps; i++) {
        ThreadRecorder d = Recorder.enterStepPart();
        Recorder.exitSpan(d, Kind.DATA, "data");
        ThreadRecorder p = Recorder.enterStepPart();
        ThreadRecorder g = Recorder.enterOp();
        Recorder.exitGemm(g, "matmul", GemmShapes.MATMUL, new long[] {8, 16}, new long[] {16, 4});
        Recorder.exitSpan(p, Kind.PHASE, "trainBatch \"quoted\"");
        ThreadRecorder o = Recorder.enterStepPart();
        Recorder.exitStepEnd(o, "optimizer");
      }
    }, "trainer-thread");
    t.start();
    t.join();
  }

  private Collector collect(StepSink... sinks) {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    return Collector.create(List.of(sinks), 10, 0, 10_000);
  }

  @Test
  void summaryRoundTripsStepsTotalsAndAllCategories() throws Exception {
    List<Step> seen = new ArrayList<>();
    Path file = dir.resolve("summary.json");
    Collector c = collect(seen::add, new SummaryWriter(file, 100, List.of(Category.GEMM, Category.DATA)));
    record(5);
    c.close();
    JsonNode s = JSON.readTree(file.toFile());
    assertEquals(SummaryWriter.SCHEMA_VERSION, s.get("schema_version").asInt());
    assertEquals(5, s.get("steps").size());
    long wall = 0;
    for (int i = 0; i < 5; i++) {
      JsonNode row = s.get("steps").get(i);
      Step step = seen.get(i);
      assertEquals(step.number(), row.get("step").asLong());
      assertEquals(step.wallNs(), row.get("wall_ns").asLong());
      assertEquals(2L * 8 * 4 * 16, row.get("flops").asLong());
      assertEquals(Category.values().length, row.get("breakdown_ns").size());
      for (Category cat : Category.values()) {
        assertEquals(step.breakdown().ns(cat), row.get("breakdown_ns").get(cat.key()).asLong());
      }
      wall += step.wallNs();
    }
    assertEquals(wall, s.get("totals").get("wall_ns").asLong());
    assertEquals(5, s.get("totals").get("steps").asLong());
    assertEquals("gemm", s.get("measured_categories").get(0).asText());
  }

  @Test
  void summaryCarriesEachStepsMemoryAndTheLeakWithItsSite() throws Exception {
    Path file = dir.resolve("summary.json");
    int steps = RecordedSteps.STEPS_TO_FIND_A_LEAK;
    RecordedSteps recorded = RecordedSteps.runWithMemory(steps, false,
        new SummaryWriter(file, 1000, List.of(Category.GEMM)));
    JsonNode s = JSON.readTree(file.toFile());
    for (int i = 0; i < steps; i++) {
      JsonNode memory = s.get("steps").get(i).get("memory");
      assertEquals(RecordedSteps.liveBytesAfterStep(i + 1), memory.get("arrays_live_bytes").asLong());
      assertEquals(RecordedSteps.CREATED_BYTES_PER_STEP, memory.get("arrays_created_bytes").asLong());
      assertEquals(recorded.steps.get(i).memory().value(io.mltrace.collector.MemorySeries.HEAP_ALLOCATED_BYTES),
          memory.get("heap_allocated_bytes").asLong());
      assertTrue(memory.get("workspace_bytes") == null, "not measured: absent");
      if (i > 0) {
        assertEquals(RecordedSteps.LEAK_SITE, memory.get("sites").get(0).get("site").asText());
        assertEquals(i * RecordedSteps.LEAK_BYTES_PER_STEP, memory.get("sites").get(0).get("bytes").asLong());
      }
    }
    JsonNode leaks = s.get("leaks");
    assertEquals(1, leaks.size(), leaks::toString);
    assertEquals("arrays_live_bytes", leaks.get(0).get("series").asText());
    assertEquals(RecordedSteps.LEAK_BYTES_PER_STEP, leaks.get(0).get("bytes_per_step").asLong());
    assertEquals(RecordedSteps.LEAK_SITE, leaks.get(0).get("sites").get(0).get("site").asText());
  }

  @Test
  void summaryKeepsTotalsButBoundsStepEntries() throws Exception {
    Path file = dir.resolve("summary.json");
    Collector c = collect(new SummaryWriter(file, 2, List.of(Category.GEMM)));
    record(5);
    c.close();
    JsonNode s = JSON.readTree(file.toFile());
    assertEquals(2, s.get("steps").size());
    assertEquals(3, s.get("steps_omitted").asLong());
    assertEquals(5, s.get("totals").get("steps").asLong());
  }

  @Test
  void chromeTraceRoundTripsNamesNestingAndTimes() throws Exception {
    List<Step> seen = new ArrayList<>();
    Path file = dir.resolve("trace.json");
    Collector c = collect(seen::add, new ChromeTraceWriter(file, 1000));
    record(3);
    c.close();
    JsonNode events = JSON.readTree(file.toFile()).get("traceEvents");
    int steps = 0;
    int gemms = 0;
    boolean threadNamed = false;
    for (JsonNode e : events) {
      if ("M".equals(e.get("ph").asText()) && "thread_name".equals(e.get("name").asText())) {
        threadNamed |= "trainer-thread".equals(e.get("args").get("name").asText());
      }
      if (!"X".equals(e.get("ph").asText())) {
        continue;
      }
      if ("step".equals(e.get("cat").asText())) {
        Step step = seen.get(steps++);
        assertEquals(step.wallNs() / 1000.0, e.get("dur").asDouble(), 0.0011);
      } else if ("gemm".equals(e.get("cat").asText())) {
        gemms++;
        assertEquals("matmul", e.get("name").asText());
        assertEquals(16, e.get("args").get("input_shapes").get(0).get(1).asLong());
      } else if ("phase".equals(e.get("cat").asText())) {
        assertTrue(e.get("name").asText().startsWith("trainBatch \"quoted\"") || e.get("name").asText().equals("optimizer"));
      }
    }
    assertEquals(3, steps);
    assertEquals(3, gemms);
    assertTrue(threadNamed);
  }

  @Test
  void chromeTraceStopsAtItsEventLimitAndSaysSo() throws Exception {
    Path file = dir.resolve("trace.json");
    Collector c = collect(new ChromeTraceWriter(file, 10));
    record(4);
    c.close();
    JsonNode root = JSON.readTree(file.toFile());
    assertTrue(root.get("otherData").get("mltrace_truncated").asText().contains("event limit 10"));
    long stored = 0;
    for (JsonNode e : root.get("traceEvents")) {
      stored += "X".equals(e.get("ph").asText()) ? 1 : 0;
    }
    assertTrue(stored <= 10, "stored " + stored);
  }

  @Test
  void consolePrintsOneLinePerStepAndASummaryTable() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Collector c = collect(new ConsoleReporter(ps, true));
    record(2);
    c.close();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, text.lines().filter(l -> l.matches("mltrace step \\d+  wall .* gemm .*%")).count(), text);
    assertTrue(text.contains("mltrace summary: 2 steps"), text);
    assertTrue(text.contains("gemm"), text);
  }
}
