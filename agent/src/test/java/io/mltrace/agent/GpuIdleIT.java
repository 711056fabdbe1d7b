package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU idle split and launch statistics through the whole agent: a child JVM launches asynchronous GPU work
 * through the fake libcupti with scripted host gaps ({@link FakeGpuHostGaps}: a slow data fetch, a GC, a slow
 * copy launch), and {@code summary.json} gives each gap to its cause, with exact launch delays; the trace carries
 * the copy's bandwidth counter.
 */
class GpuIdleIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 5;

  @TempDir
  Path dir;

  @AfterEach
  void clear() {
    ChildJvm.EXTRA_CLASSPATH.remove();
  }

  @Test
  void scriptedHostGapsGoToTheirCauseAndLaunchStatisticsAreExact() throws Exception {
    assertTrue(Files.isRegularFile(GpuAgentIT.FAKE_CUPTI), "the collector build makes " + GpuAgentIT.FAKE_CUPTI);
    Path out = dir.resolve("out");
    ChildJvm.EXTRA_CLASSPATH.set(ChildJvm.gpuTestClasspath());
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,cupti_path="
        + GpuAgentIT.FAKE_CUPTI, List.of("-Dmltrace.test.fakeCupti=" + GpuAgentIT.FAKE_CUPTI),
        FakeGpuHostGaps.class.getName(), String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("fake gpu host gaps: " + STEPS + " steps"), run::toString);

    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    int gpuSteps = 0;
    boolean gcStepSeen = false;
    for (JsonNode step : summary.get("steps")) {
      if (!step.has("gpu_idle")) {
        continue;
      }
      gpuSteps++;
      assertEquals(1, step.get("gpu_idle").size(), step::toString);
      JsonNode s = step.get("gpu_idle").get(0);
      assertEquals(7, s.get("stream").asInt());
      long idle = s.get("idle_ns").asLong();
      assertEquals(step.get("wall_ns").asLong() - FakeGpuHostGaps.KERNEL_NS - FakeGpuHostGaps.COPY_NS, idle,
          "the stream's idle time is the step's wall time minus its two records: " + s);
      // Every record was launched after the previous one ended: all of the idle time is host wait.
      assertEquals(idle, s.get("host_wait_ns").asLong(), s::toString);
      assertEquals(0, s.get("kernel_wait_ns").asLong(), s::toString);
      assertEquals(0, s.get("other_ns").asLong(), s::toString);
      JsonNode by = s.get("host_wait_by");
      long byHost = 0;
      for (JsonNode v : by) {
        byHost += v.asLong();
      }
      assertEquals(idle, byHost, "the causes sum to the host wait: " + s);
      // A safepoint (JFR) over the gap takes its time first: it stops the host whatever it was doing.
      long safepoints = by.get("jit_safepoint").asLong();
      assertTrue(by.get("data").asLong() + safepoints >= FakeGpuHostGaps.DATA_NS, "the slow data fetch: " + s);
      // From the kernel's end to the copy's start the host is inside ops: the rest of matmul, then the slow launch.
      assertTrue(by.get("launch_overhead").asLong() + safepoints >= FakeGpuHostGaps.SLOW_LAUNCH_NS,
          "the slow launch: " + s);
      if (step.get("step").asInt() == FakeGpuHostGaps.GC_STEP) {
        gcStepSeen = true;
        assertTrue(by.get("gc").asLong() > 0, "System.gc() between the two launches: " + s);
      }

      JsonNode launches = step.get("gpu_launches");
      assertEquals(2, launches.size(), launches::toString);
      JsonNode matmul = launches.get(0);
      assertEquals("matmul", matmul.get("op").asText());
      assertLaunches(matmul, FakeGpuHostGaps.KERNEL_DELAY_NS, FakeGpuHostGaps.KERNEL_API_NS, 0, 0, 0);
      JsonNode copy = launches.get(1);
      assertEquals("toDevice", copy.get("op").asText());
      assertLaunches(copy, FakeGpuHostGaps.COPY_DELAY_NS, FakeGpuHostGaps.SLOW_LAUNCH_NS, 1, 1, 1);
    }
    assertTrue(gpuSteps >= STEPS - 1, "GPU collection follows the sampled steps: " + summary.get("steps"));
    assertTrue(gcStepSeen, summary::toString);
    assertEquals(gpuSteps, summary.get("gpu_idle_totals").get("steps").asInt());

    double bandwidth = 0;
    for (JsonNode e : JSON.readTree(out.resolve("trace.json").toFile()).get("traceEvents")) {
      if (e.get("ph").asText().equals("C") && e.get("name").asText().equals("H2D bandwidth")) {
        bandwidth = Math.max(bandwidth, e.get("args").get("GB/s").asDouble());
      }
    }
    assertEquals((double) FakeGpuHostGaps.COPY_BYTES / FakeGpuHostGaps.COPY_NS, bandwidth, 1e-3);
  }

  private static void assertLaunches(JsonNode op, long delayNs, long apiNs, int shorter, int outliers, int slow) {
    assertEquals(1, op.get("launches").asLong(), op::toString);
    assertEquals(0, op.get("launch_unknown").asLong(), op::toString);
    assertEquals(delayNs, op.get("launch_delay_total_ns").asLong(), op::toString);
    assertEquals(apiNs, op.get("launch_api_total_ns").asLong(), op::toString);
    assertEquals(shorter, op.get("shorter_than_launch").asLong(), op::toString);
    assertEquals(outliers, op.get("launch_delay_outliers").asLong(), op::toString);
    assertEquals(slow, op.get("slow_launches").asLong(), op::toString);
  }
}
