package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL example in a child JVM with the agent: every step recorded, GEMM inside every step, trace nests. */
class DjlFoundationIT {
  static final String MLP = "io.mltrace.examples.djl.MlpTraining";
  /**
   * Steps run. 40, not 12: a single preemption of the training thread between two spans (no span, no JVM event) is
   * unattributed time, honestly; a clean-clone CI run read 6.5 ms of it in 12 steps of 92 ms (7 %), and runs of
   * the build before read 1-3.5 ms spikes too. Over 40 steps one such spike stays under the 5 % bound.
   */
  static final int STEPS = 40;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path out;
  static ChildJvm run;
  static JsonNode summary;
  static JsonNode trace;

  @BeforeAll
  static void runExampleWithAgent() throws Exception {
    run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1", List.of(), MLP, "--steps",
        String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    summary = JSON.readTree(out.resolve("summary.json").toFile());
    trace = JSON.readTree(out.resolve("trace.json").toFile());
  }

  @Test
  void everyStepIsRecordedInTheSummary() {
    JsonNode steps = summary.get("steps");
    assertEquals(STEPS, steps.size(), run::toString);
    for (int i = 0; i < STEPS; i++) {
      assertEquals(i + 1, steps.get(i).get("step").asLong());
    }
    assertEquals(STEPS, summary.get("totals").get("steps").asLong());
  }

  @Test
  void gemmIsPositiveAndBelowTheStepTimeInEveryStep() {
    long expectedFlops = 2L * 64 * 128 * 784 + 2L * 64 * 10 * 128;
    int underAPause = 0;
    for (JsonNode step : summary.get("steps")) {
      long wall = step.get("wall_ns").asLong();
      long gemm = step.get("breakdown_ns").get("gemm").asLong();
      JsonNode b = step.get("breakdown_ns");
      long pauses = b.get("gc").asLong() + b.get("jit_safepoint").asLong();
      // A JVM pause ranks above ops, and PyTorch's GEMMs run in native code, which a safepoint does not stop: a
      // clean-clone CI run once had a 1.5 ms step entirely under a safepoint (all of it jit_safepoint), another a
      // 5.9 ms step 86 % under a GC pause and a safepoint, with its GEMMs inside them. One such step at most.
      if (pauses >= 0.5 * wall && underAPause++ == 0) {
        assertTrue(gemm < wall, "step " + step);
      } else {
        assertTrue(gemm > 0 && gemm < wall, "step " + step);
      }
      assertEquals(expectedFlops, step.get("flops").asLong(), "2·M·N·K of both linear layers");
      long sum = 0;
      for (JsonNode v : step.get("breakdown_ns")) {
        sum += v.asLong();
      }
      assertEquals(wall, sum, "breakdown sums to wall time");
    }
  }

  @Test
  void unattributedTimeIsAtMostFivePercentOfStepTime() {
    long wall = summary.get("totals").get("wall_ns").asLong();
    long unattributed = summary.get("totals").get("breakdown_ns").get("unattributed").asLong();
    double share = (double) unattributed / wall;
    System.out.printf("unattributed share on the MLP example: %.2f%% of %d steps%n", 100 * share, STEPS);
    assertTrue(share <= 0.05, "unattributed " + share + " " + summary.get("totals"));
  }

  @Test
  void jvmEventsAreMeasuredCategories() {
    List<String> measured = new java.util.ArrayList<>();
    summary.get("measured_categories").forEach(n -> measured.add(n.asText()));
    assertTrue(measured.containsAll(List.of("gc", "jit_safepoint", "idle", "gemm", "data", "framework")), measured
        .toString());
  }

  @Test
  void consoleHasOneLinePerStepAndASummary() {
    Matcher m = Pattern.compile("(?m)^mltrace step (\\d+)  wall ([0-9.]+) ms  gemm ([0-9.]+) ms  rest ([0-9.]+) ms  gemm ([0-9.]+)%$")
        .matcher(run.stdout);
    int lines = 0;
    while (m.find()) {
      lines++;
      assertEquals(lines, Integer.parseInt(m.group(1)));
    }
    assertEquals(STEPS, lines, run::toString);
    assertTrue(run.stdout.contains("mltrace summary: " + STEPS + " steps"), run::toString);
    assertTrue(run.stdout.contains("final loss"), run::toString);
  }

  @Test
  void traceNestsOpsInsideTheirStep() {
    JsonNode events = trace.get("traceEvents");
    Map<Long, JsonNode> steps = new HashMap<>();
    Map<Long, JsonNode> bySpan = new HashMap<>();
    for (JsonNode e : events) {
      if ("X".equals(e.path("ph").asText())) {
        bySpan.put(e.get("args").get("span_id").asLong(), e);
        if ("step".equals(e.get("cat").asText())) {
          steps.put(e.get("args").get("step").asLong(), e);
        }
      }
    }
    assertEquals(STEPS, steps.size());
    int gemms = 0;
    for (JsonNode e : bySpan.values()) {
      if (!"gemm".equals(e.get("cat").asText()) || !e.get("args").has("step") || e.get("args").has("estimate")) {
        continue; // the backward GEMM estimate is checked in DjlModelsIT
      }
      gemms++;
      JsonNode step = steps.get(e.get("args").get("step").asLong());
      double start = step.get("ts").asDouble();
      double end = start + step.get("dur").asDouble();
      assertTrue(e.get("ts").asDouble() >= start && e.get("ts").asDouble() + e.get("dur").asDouble() <= end + 0.001,
          "op inside its step: " + e);
      JsonNode ancestor = bySpan.get(e.get("args").get("parent_id").asLong());
      while (ancestor != null && !"trainBatch".equals(ancestor.get("name").asText())) {
        ancestor = bySpan.get(ancestor.get("args").get("parent_id").asLong()); // through its layer and forward
      }
      assertTrue(ancestor != null, "linear runs inside trainBatch: " + e);
      assertEquals(2, e.get("args").get("input_shapes").size());
    }
    assertEquals(2 * STEPS, gemms, "two linear layers per step");
  }

  @Test
  void theExampleRunsWithoutTheAgent() throws Exception {
    ChildJvm plain = ChildJvm.run(null, List.of(), MLP, "--steps", "3");
    assertEquals(0, plain.exitCode, plain::toString);
    assertTrue(plain.stdout.contains("final loss"), plain::toString);
    assertFalse(plain.stdout.contains("mltrace"), plain::toString);
  }

  @Test
  void anUnknownOptionIsReportedOnOneLineAndTheJobCompletes(@TempDir Path dir) throws Exception {
    ChildJvm bad = ChildJvm.run("output=" + dir + ",colour=blue", List.of(), MLP, "--steps", "3");
    assertEquals(0, bad.exitCode, bad::toString);
    List<String> lines = bad.stderr.lines().filter(l -> l.contains("colour")).toList();
    assertEquals(1, lines.size(), bad::toString);
    assertTrue(lines.get(0).contains("unknown option 'colour'") && lines.get(0).contains("output")
        && lines.get(0).contains("report_interval"), lines.get(0));
    assertTrue(bad.stdout.contains("final loss"), bad::toString);
    assertTrue(Files.exists(dir.resolve("summary.json")), "the rest of the agent still works");
  }
}
