package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient accumulation in a hand-written DJL loop (4 micro-batches a step, each loaded by the loop with a known
 * sleep and computation, then forward, loss and backward into the same gradients, then one optimizer step): the
 * step's {@code data} is the loading of all four, as the job measured it, in the production mode and with every
 * step detailed. Before, only the first micro-batch's loading (the step's input gap) was data: the other three read
 * as {@code idle} (the sleeps) and {@code unattributed}, three quarters of the step's loading.
 */
class GradientAccumulationIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 120;
  static final int WARM_UP = 20;
  static final int MICRO_BATCHES = 4;
  static final Pattern LOADING = Pattern.compile("datatruth step (\\d+) ns (\\d+)");

  @TempDir
  Path out;

  @Test
  void productionMode() throws Exception {
    check("");
  }

  @Test
  void everyStepDetailed() throws Exception {
    check(",mode=full");
  }

  private void check(String agentOptions) throws Exception {
    ChildJvm child = ChildJvm.run("output=" + out + ",report_interval=0,console=off" + agentOptions, List.of(),
        "io.mltrace.examples.groundtruth.DjlDataSources", "--model", "mlp", "--source", "loop", "--steps",
        String.valueOf(STEPS), "--data-sleep-ms", "1", "--data-spin-ms", "1", "--accumulate",
        String.valueOf(MICRO_BATCHES));
    assertEquals(0, child.exitCode, child::toString);
    Map<Integer, Long> loading = new HashMap<>();
    Matcher m = LOADING.matcher(child.stdout);
    while (m.find()) {
      loading.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    }
    JsonNode steps = JSON.readTree(out.resolve("summary.json").toFile()).get("steps");
    assertEquals(STEPS, steps.size(), child::toString);
    List<Double> errors = new ArrayList<>();
    double unattributed = 0;
    double wall = 0;
    for (JsonNode s : steps) {
      int step = s.get("step").asInt();
      if (step <= WARM_UP) {
        continue;
      }
      JsonNode b = s.get("breakdown_ns");
      // The loading's copies are memcpy, which outranks data: they are the loading too.
      double measured = b.get("data").asDouble() + b.get("memcpy").asDouble();
      errors.add((measured - loading.get(step)) / loading.get(step));
      unattributed += b.get("unattributed").asDouble();
      wall += s.get("wall_ns").asDouble();
    }
    List<Double> sorted = new ArrayList<>(errors);
    sorted.sort(null);
    double median = sorted.get(sorted.size() / 2);
    long within = errors.stream().filter(e -> Math.abs(e) < 0.1).count();
    String what = String.format(Locale.ROOT, "data against the loading the job measured, per step: median %+.3f,"
        + " %d of %d within 10 %% (min %+.3f, max %+.3f); unattributed %.1f %% of the steps", median, within,
        errors.size(), sorted.get(0), sorted.get(sorted.size() - 1), 100 * unattributed / wall);
    System.out.println("GradientAccumulationIT" + agentOptions + ": " + what);
    assertTrue(Math.abs(median) < 0.05, what);
    assertTrue(within >= 0.9 * errors.size(), what);
    assertTrue(unattributed < 0.03 * wall, what);
  }
}
