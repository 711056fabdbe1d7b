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
  void aSingleJvmsSummaryHasNoWorker() throws Exception {
    Path file = dir.resolve("summary.json");
    RecordedSteps.run(1, new SummaryWriter(file, 100, List.of(Category.values())));
    assertFalse(new ObjectMapper().readTree(file.toFile()).has("worker"));
  }
}
