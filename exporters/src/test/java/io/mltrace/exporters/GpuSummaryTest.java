package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Category;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU idle split and launch statistics in {@code summary.json}, over real recorded steps whose GEMM op
 * launches a copy (stream 8) and a kernel (stream 7), with a GC pause inside the data fetch that precedes them.
 */
class GpuSummaryTest {
  static final int STEPS = 3;

  @TempDir
  Path dir;

  @Test
  void everyStepSplitsEachStreamsIdleTimeAndCountsItsLaunches() throws Exception {
    Path file = dir.resolve("summary.json");
    SummaryWriter writer = new SummaryWriter(file, 100, List.of(Category.values()));
    RecordedSteps recorded = RecordedSteps.runWithActivities(STEPS, writer);
    assertEquals(STEPS, recorded.steps.size());
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    long idleSum = 0;
    for (int i = 0; i < STEPS; i++) {
      JsonNode step = root.get("steps").get(i);
      long wall = step.get("wall_ns").asLong();
      JsonNode streams = step.get("gpu_idle");
      assertEquals(2, streams.size(), step::toString);
      for (JsonNode s : streams) {
        long busy = s.get("stream").asInt() == RecordedSteps.KERNEL_STREAM ? RecordedSteps.KERNEL_NS
            : RecordedSteps.COPY_NS;
        assertEquals(wall - busy, s.get("idle_ns").asLong(), "the split covers the stream's idle time: " + s);
        assertEquals(s.get("idle_ns").asLong(), s.get("host_wait_ns").asLong() + s.get("kernel_wait_ns").asLong()
            + s.get("other_ns").asLong(), s::toString);
        // Each record was launched after the step began and nothing followed it: all host wait.
        assertEquals(s.get("idle_ns").asLong(), s.get("host_wait_ns").asLong(), s::toString);
        long byHost = 0;
        for (JsonNode v : s.get("host_wait_by")) {
          byHost += v.asLong();
        }
        assertEquals(s.get("host_wait_ns").asLong(), byHost, s::toString);
        assertEquals(RecordedSteps.GC_NS, s.get("host_wait_by").get("gc").asLong(), "the GC inside the data fetch");
        assertTrue(s.get("host_wait_by").get("data").asLong() > 0, s::toString);
        assertTrue(s.get("host_wait_by").get("launch_overhead").asLong() >= RecordedSteps.COPY_START_AT, s::toString);
        idleSum += s.get("idle_ns").asLong();
      }
      JsonNode launches = step.get("gpu_launches");
      assertEquals(1, launches.size(), launches::toString);
      JsonNode matmul = launches.get(0);
      assertEquals("matmul", matmul.get("op").asText());
      assertEquals(2, matmul.get("launches").asLong());
      assertEquals(0, matmul.get("launch_unknown").asLong());
      long kernelDelay = RecordedSteps.KERNEL_START_AT - RecordedSteps.KERNEL_LAUNCH_AT;
      long copyDelay = RecordedSteps.COPY_START_AT - RecordedSteps.COPY_LAUNCH_AT;
      assertEquals(kernelDelay + copyDelay, matmul.get("launch_delay_total_ns").asLong());
      assertEquals(kernelDelay, matmul.get("launch_delay_max_ns").asLong());
      assertEquals(RecordedSteps.KERNEL_LAUNCH_NS + RecordedSteps.COPY_LAUNCH_NS,
          matmul.get("launch_api_total_ns").asLong());
      assertEquals(0, matmul.get("shorter_than_launch").asLong());
      assertEquals(0, matmul.get("launch_delay_outliers").asLong());
    }
    JsonNode totals = root.get("gpu_idle_totals");
    assertEquals(STEPS, totals.get("steps").asLong());
    assertEquals(30, totals.get("kernel_wait_threshold_ns").asLong());
    long totalIdle = 0;
    for (JsonNode s : totals.get("streams")) {
      assertEquals(STEPS, s.get("steps").asLong());
      totalIdle += s.get("idle_ns").asLong();
    }
    assertEquals(idleSum, totalIdle, "the totals sum the steps");
    JsonNode ops = root.get("gpu_launch_stats").get("ops");
    assertEquals(1, ops.size());
    assertEquals(2L * STEPS, ops.get(0).get("launches").asLong());
    assertEquals(100_000, root.get("gpu_launch_stats").get("delay_outlier_ns").asLong());
  }

  @Test
  void aRunWithoutGpuRecordsHasNoGpuFields() throws Exception {
    Path file = dir.resolve("summary.json");
    RecordedSteps.run(2, new SummaryWriter(file, 100, List.of(Category.values())));
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    assertFalse(root.has("gpu_idle_totals"));
    assertFalse(root.get("steps").get(0).has("gpu_idle"));
  }
}
