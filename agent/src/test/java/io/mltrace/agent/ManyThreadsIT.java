package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight training threads recording at once, every step detailed: no record lost or duplicated (each step's op
 * count is the model's, step numbers are unique, nothing dropped) and each thread has exactly its steps.
 */
class ManyThreadsIT {
  private static final int THREADS = 8;
  private static final int STEPS = 60;

  @Test
  void eightTrainingThreadsKeepEveryStepAndEveryRecord(@TempDir Path dir) throws Exception {
    try (TrainingProcess job = JobRun.start("output=" + dir + ",mode=full,console=summary,report_interval=0"
            + ",html_report=false",
        List.of("-Xmx512m", "-Dorg.bytedeco.javacpp.cachedir=" + ChildJvm.EXAMPLES.resolve("javacpp-cache")),
        Map.of(), "", ParallelDl4jTraining.class.getName(), String.valueOf(THREADS),
        String.valueOf(STEPS))) {
      assertEquals(0, job.await(180), job::toString);
      assertTrue(job.stdout().contains("parallel training done"), job::toString);
      ObjectMapper json = new ObjectMapper();
      JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
      assertEquals(THREADS * STEPS, summary.get("totals").get("steps").asInt(), "every step of every thread");
      assertEquals(0, summary.get("dropped_records").asLong(), "no record dropped");
      assertEquals(0, summary.get("exporter_errors").asLong());
      // An MLP step runs the same ops every time: a lost or doubled op record would change a step's count.
      Map<Long, Integer> opsCounts = new HashMap<>();
      for (JsonNode s : summary.get("steps")) {
        opsCounts.merge(s.get("ops").asLong(), 1, Integer::sum);
      }
      long usual = opsCounts.entrySet().stream().max(Map.Entry.comparingByValue()).get().getKey();
      assertTrue(usual > 0);
      for (JsonNode s : summary.get("steps")) {
        assertEquals(usual, s.get("ops").asLong(), "step " + s.get("step") + " of " + opsCounts);
      }

      JsonNode trace = json.readTree(dir.resolve("trace.json").toFile());
      Map<Long, String> names = new HashMap<>();
      for (JsonNode e : trace.get("traceEvents")) {
        if ("M".equals(e.path("ph").asText()) && "thread_name".equals(e.path("name").asText())) {
          names.put(e.get("tid").asLong(), e.get("args").get("name").asText());
        }
      }
      Map<String, Integer> stepsPerThread = new HashMap<>();
      Set<Long> numbers = new HashSet<>();
      for (JsonNode e : trace.get("traceEvents")) {
        if ("step".equals(e.path("cat").asText())) {
          stepsPerThread.merge(names.get(e.get("tid").asLong()), 1, Integer::sum);
          assertTrue(numbers.add(e.get("args").get("step").asLong()), "step number once: " + e);
        }
      }
      assertEquals(THREADS, stepsPerThread.size(), stepsPerThread::toString);
      for (int t = 0; t < THREADS; t++) {
        assertEquals(STEPS, stepsPerThread.getOrDefault("trainer-" + t, 0), "trainer-" + t + ": " + stepsPerThread);
        assertTrue(job.stdout().contains("thread trainer-" + t + " batches " + STEPS), job::toString);
      }
    }
  }
}
