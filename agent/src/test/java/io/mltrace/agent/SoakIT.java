package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reduced soak (the full 100,000 steps: {@code benchmarks/reliability.sh soak}): a few thousand DJL steps in the
 * default mode with small caps and a report every second. Every time the test reads them, {@code summary.json} and
 * {@code trace.json} parse whole (atomic writes); past their caps they stop growing; and a {@code kill -9} mid-run
 * leaves the last complete files readable.
 */
class SoakIT {
  private static final String MLP = "io.mltrace.examples.djl.MlpTraining";
  private static final int SUMMARY_CAP = 300;
  private static final int KILL_AT_STEP = 2000;

  @Test
  void filesStayWholeAndBoundedAndSurviveAKill(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Path summaryFile = dir.resolve("summary.json");
    Path traceFile = dir.resolve("trace.json");
    List<long[]> sizesPastCaps = new ArrayList<>(); // {summary bytes, trace bytes} once both caps were reached
    int reads = 0;
    try (TrainingProcess job = JobRun.start("output=" + dir + ",report_interval=1,sample_every=10,console=off"
            + ",summary_max_steps=" + SUMMARY_CAP + ",trace_max_events=1500,html_report=false",
        List.of("-Xmx256m"), Map.of(), "", MLP, "--steps", "100000", "--batch", "8", "--hidden", "16",
        "--dataset-batches", "100")) {
      long deadline = System.nanoTime() + 150_000_000_000L;
      long steps = 0;
      // Until the step, and for 2.5 s past both caps: the files are rewritten once a second (report_interval), and on
      // a quiet machine this job passes step 2,000 within three seconds, too soon to see the files past the caps twice.
      long capsReachedAt = Long.MAX_VALUE;
      while (steps < KILL_AT_STEP || System.nanoTime() - capsReachedAt < 2_500_000_000L) {
        assertTrue(job.process.isAlive(), job::toString);
        assertTrue(System.nanoTime() < deadline, "the soak reached step " + steps + " only: " + job);
        Thread.sleep(300);
        if (!Files.exists(summaryFile) || !Files.exists(traceFile)) {
          continue;
        }
        JsonNode summary = json.readTree(summaryFile.toFile()); // throws if a reader ever saw half a file
        JsonNode trace = json.readTree(traceFile.toFile());
        reads++;
        steps = summary.get("totals").get("steps").asLong();
        boolean capsReached = summary.get("steps").size() == SUMMARY_CAP
            && trace.path("otherData").has("mltrace_truncated");
        if (capsReached) {
          capsReachedAt = Math.min(capsReachedAt, System.nanoTime());
          sizesPastCaps.add(new long[] {Files.size(summaryFile), Files.size(traceFile)});
        }
      }
      job.process.destroyForcibly(); // SIGKILL: no shutdown hook, no final write
      job.process.waitFor();
      JsonNode summary = json.readTree(summaryFile.toFile());
      json.readTree(traceFile.toFile());
      assertTrue(summary.get("totals").get("steps").asLong() >= KILL_AT_STEP - 1000,
          "the last complete files are from the last report interval: " + summary.get("totals"));
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          if (p.toString().endsWith(".tmp")) {
            continue; // a write the kill cut short; the file beside it is whole
          }
          assertTrue(Files.size(p) > 0, p::toString);
        }
      }
    }
    assertTrue(reads >= 3 && sizesPastCaps.size() >= 2, "reads " + reads + ", past caps " + sizesPastCaps.size());
    long[] first = sizesPastCaps.get(0);
    long[] last = sizesPastCaps.get(sizesPastCaps.size() - 1);
    // Past the caps only counters' digits and bounded tables change: a few percent, not per step.
    assertTrue(last[0] < first[0] * 1.05 + 2048, "summary.json " + first[0] + " -> " + last[0]);
    assertTrue(last[1] < first[1] * 1.05 + 2048, "trace.json " + first[1] + " -> " + last[1]);
    assertEquals(SUMMARY_CAP, new ObjectMapper().readTree(summaryFile.toFile()).get("steps").size());
  }
}
