package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DJL job whose trainer prefetches batches on a pool ({@code DefaultTrainingConfig.optExecutorService}), its loader
 * slower than a step, in the production mode: the loop's wait for the batch that is not ready is {@code data}, as
 * long as the job itself timed it (the fetches themselves run on the pool's threads, outside the steps), and no
 * step time is left unattributed.
 */
class DjlPrefetchIT {
  static final int STEPS = 120;
  static final int WARM_UP = 20;

  @TempDir
  Path out;

  @Test
  void theLoopsWaitForAPrefetchedBatchIsDataAsTheJobTimedIt() throws Exception {
    // Two threads each take 10 ms a batch: one ready every 5 ms, against a step of about 2-3 ms.
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=off", List.of(),
        "io.mltrace.examples.groundtruth.DjlDataSources", "--model", "mlp", "--source", "iterable", "--steps",
        String.valueOf(STEPS), "--data-sleep-ms", "10", "--prefetch-threads", "2");
    assertEquals(0, run.exitCode, run::toString);
    Map<Integer, Long> truth = new HashMap<>();
    Matcher m = Pattern.compile("datatruth step (\\d+) ns (\\d+)").matcher(run.stdout);
    while (m.find()) {
      truth.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    }
    JsonNode steps = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("steps");
    assertEquals(STEPS, steps.size());
    long data = 0;
    long pauses = 0;
    long measured = 0;
    long wall = 0;
    long unattributed = 0;
    int detailed = 0;
    for (JsonNode s : steps) {
      int n = s.get("step").asInt();
      if (n <= WARM_UP) {
        continue;
      }
      JsonNode b = s.get("breakdown_ns");
      data += b.get("data").asLong();
      pauses += b.get("gc").asLong() + b.get("jit_safepoint").asLong() + b.get("mltrace").asLong();
      measured += truth.get(n);
      wall += s.get("wall_ns").asLong();
      unattributed += b.get("unattributed").asLong();
      detailed += s.get("detailed").asBoolean() ? 1 : 0;
    }
    assertEquals(1, detailed, "the production mode: one step in 100 detailed");
    String totals = "data " + data + " (+ pauses and recording " + pauses + ") against the job's " + measured
        + " in steps of " + wall + " ns, unattributed " + unattributed;
    assertTrue(measured > 0.2 * wall, "the loop waited for its batches: " + totals);
    assertTrue(data <= 1.05 * measured && data + pauses >= 0.95 * measured, totals);
    assertTrue(unattributed < 0.02 * wall, totals);
  }
}
