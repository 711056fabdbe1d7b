package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Category;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster worker's identity in {@code summary.json}, over real recorded steps. */
class SummaryWorkerTest {
  @TempDir
  Path dir;

  @Test
  void aClusterWorkersSummaryNamesTheWorker() throws Exception {
    Path file = dir.resolve("summary.json");
    RecordedSteps.run(2, new SummaryWriter(file, 100, List.of(Category.values()), () -> 0,
        Map.of("pid", "77", "role", "executor", "executor_id", "3", "app_id", "app-1", "host", "node \"a\"")));
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    JsonNode worker = root.get("worker");
    List<String> keys = new ArrayList<>();
    worker.fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("role", "executor_id", "app_id", "host", "pid"), keys, "a fixed order");
    assertEquals("3", worker.get("executor_id").asText());
    assertEquals("node \"a\"", worker.get("host").asText(), "escaped and read back");
    assertEquals(2, root.get("steps").size(), "the steps are still there");
  }

  @Test
  void aWorkersClockIsWrittenAsMeasuredAtEachWrite() throws Exception {
    Path file = dir.resolve("summary.json");
    Map<String, Object> clock = new java.util.LinkedHashMap<>();
    SummaryWriter writer = new SummaryWriter(file, 100, List.of(Category.values()), () -> 0,
        Map.of("role", "executor", "executor_id", "1", "host", "h", "pid", "7"), () -> Map.copyOf(clock));
    RecordedSteps.run(1, writer);
    assertFalse(new ObjectMapper().readTree(file.toFile()).has("clock"), "not measured yet: no clock");
    clock.put("reference", "driver");
    clock.put("offset_ns", -123_456_789_012L);
    clock.put("error_ns", 41_000L);
    RecordedSteps.run(1, writer); // the next write
    JsonNode written = new ObjectMapper().readTree(file.toFile()).get("clock");
    assertEquals("driver", written.get("reference").asText());
    assertEquals(-123_456_789_012L, written.get("offset_ns").asLong());
    assertEquals(41_000L, written.get("error_ns").asLong());
  }

  @Test
  void theTracesBaseIsTheNanoTimeOfItsTsZero() throws Exception {
    Path file = dir.resolve("trace.json");
    List<Long> starts = new ArrayList<>();
    RecordedSteps.run(2, new ChromeTraceWriter(file, 1000, false), new io.mltrace.collector.StepSink() {
      @Override
      public void onStep(io.mltrace.collector.Step step) {
        starts.add(step.startNs());
      }
    });
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    long base = root.get("otherData").get("clock_base_ns").asLong();
    int checked = 0;
    for (JsonNode e : root.get("traceEvents")) {
      if (e.path("cat").asText().equals("step")) {
        long at = base + Math.round(e.get("ts").asDouble() * 1000);
        assertEquals(starts.get(checked++), at, e::toString);
      }
    }
    assertEquals(2, checked, "both steps placed on the JVM's nanoTime");
  }

  @Test
  void aSingleJvmsSummaryHasNoWorker() throws Exception {
    Path file = dir.resolve("summary.json");
    RecordedSteps.run(1, new SummaryWriter(file, 100, List.of(Category.values())));
    assertFalse(new ObjectMapper().readTree(file.toFile()).has("worker"));
  }
}
