package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ND4J memory outside workspaces and the leak finder on a real DL4J job: {@code LeakyDl4jTraining} keeps one
 * detached {@code INDArray} of known size per iteration in a list; the leak is named with the listener's creation
 * line, in {@code arrays_live_bytes} with {@code memory=full} and in {@code detached_live_bytes} by default.
 */
class Dl4jMemoryLeakIT {
  static final long LEAK_BYTES = 256 * 1024;

  @TempDir
  Path out;

  @Test
  void aDetachedArrayKeptPerIterationIsNamedWithItsGrowthAndCreationLine() throws Exception {
    // memory=full: ND4J's buffers are followed as tensors only when asked. 160 steps: the leak is suspected by step
    // 64, and its sites are taken from the suspicion on, in the sampled steps that follow. jit_yield_s=0: the job
    // ends inside the collector's JIT hold otherwise, and the suspicion comes from the collector's analysis.
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary,sample_every=10,memory=full"
        + ",jit_yield_s=0",
        List.of(), "io.mltrace.examples.dl4j.LeakyDl4jTraining", "--steps", "160", "--leak-bytes",
        String.valueOf(LEAK_BYTES));
    assertEquals(0, run.exitCode, run::toString);
    Matcher m = Pattern.compile("leak site (\\S+)").matcher(run.stdout);
    assertTrue(m.find(), run::toString);
    String site = m.group(1);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    // The kept array on a saw-tooth: the small buffers ND4J makes per step are freed only when the collector runs,
    // and the robust slope over a window of teeth lands on either side of the kept bytes (98.2 % once in CI).
    JsonNode leak = namedLeak(summary, "arrays_live_bytes", site);
    JsonNode top = leak.get("sites").get(0);
    // Whole kept arrays (each with its shape buffer, created on the same line: tens of bytes).
    long bytes = top.get("bytes").asLong();
    assertTrue(bytes >= LEAK_BYTES && bytes % LEAK_BYTES < 0.05 * LEAK_BYTES, top::toString);
  }

  /**
   * The suspect of {@code series}: its growth within 5 % of the kept bytes, suspected within 64 steps, its top
   * creation site {@code site}.
   */
  private static JsonNode namedLeak(JsonNode summary, String series, String site) {
    JsonNode leak = null;
    for (JsonNode l : summary.get("leaks")) {
      if (l.get("series").asText().equals(series)) {
        leak = l;
      }
    }
    assertTrue(leak != null, summary.get("leaks")::toString);
    double perStep = leak.get("bytes_per_step").asDouble();
    assertTrue(perStep >= 0.95 * LEAK_BYTES && perStep <= 1.05 * LEAK_BYTES, "growth per step " + perStep);
    assertTrue(leak.get("first_seen_step").asLong() <= 64, leak::toString);
    assertEquals(site, leak.get("sites").get(0).get("site").asText(), leak::toString);
    return leak;
  }

  @Test
  void inTheDefaultModeTheKeptArrayIsNamedThroughTheDetachedLevelAndEveryStepCountsIt() throws Exception {
    // memory=on (the default): ND4J's buffers are followed within their step only, and its detached buffers by
    // address until libnd4j frees them (detached_live_bytes); the leak is named there, with the same creation line.
    // jit_yield_s=0, as above.
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary,sample_every=10,jit_yield_s=0",
        List.of(),
        "io.mltrace.examples.dl4j.LeakyDl4jTraining", "--steps", "160", "--leak-bytes", String.valueOf(LEAK_BYTES));
    assertEquals(0, run.exitCode, run::toString);
    Matcher m = Pattern.compile("leak site (\\S+)").matcher(run.stdout);
    assertTrue(m.find(), run::toString);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (JsonNode l : summary.get("leaks")) {
      assertFalse(l.get("series").asText().equals("arrays_live_bytes"), "that level is memory=full's: " + l);
    }
    JsonNode top = namedLeak(summary, "detached_live_bytes", m.group(1)).get("sites").get(0);
    assertTrue(top.get("bytes").asLong() >= LEAK_BYTES && top.get("bytes").asLong() % LEAK_BYTES == 0, top::toString);
    assertTrue(run.stderr.contains("mltrace: memory leak suspect: detached_live_bytes"), run::toString);

    JsonNode steps = summary.get("steps");
    assertEquals(160, steps.size());
    int counted = 0;
    for (int i = 1; i < steps.size(); i++) { // the first step also builds the network's buffers
      JsonNode step = steps.get(i);
      JsonNode memory = step.get("memory");
      counted += step.get("detailed").asBoolean() ? 0 : 1;
      long alive = memory.get("step_arrays_alive_bytes").asLong();
      // The kept array, and ND4J's other buffers of 1 KiB and more that the step made and the collector will free.
      assertTrue(alive >= LEAK_BYTES && alive < LEAK_BYTES + 64 * 1024, step::toString);
      assertTrue(memory.get("arrays_created_bytes").asLong() >= alive, step::toString);
      assertFalse(memory.has("arrays_live_bytes"), "the level of live buffers is memory=full's: " + step);
    }
    assertTrue(counted >= 130, "counted steps: " + counted);
    long grown = steps.get(159).get("memory").get("detached_live_bytes").asLong()
        - steps.get(1).get("memory").get("detached_live_bytes").asLong();
    assertEquals(158 * LEAK_BYTES, grown, 0.02 * 158 * LEAK_BYTES, "the level held every kept array");
  }
}
