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
 * detached {@code INDArray} of known size per iteration in a list; the leak is named in {@code arrays_live_bytes}
 * with the listener's creation line.
 */
class Dl4jMemoryLeakIT {
  static final long LEAK_BYTES = 256 * 1024;

  @TempDir
  Path out;

  @Test
  void aDetachedArrayKeptPerIterationIsNamedWithItsGrowthAndCreationLine() throws Exception {
    // memory=full: ND4J's buffers are followed as tensors only when asked. 160 steps: the leak is suspected by step
    // 64, and its sites are taken from the suspicion on, in the sampled steps that follow.
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary,sample_every=10,memory=full",
        List.of(), "io.mltrace.examples.dl4j.LeakyDl4jTraining", "--steps", "160", "--leak-bytes",
        String.valueOf(LEAK_BYTES));
    assertEquals(0, run.exitCode, run::toString);
    Matcher m = Pattern.compile("leak site (\\S+)").matcher(run.stdout);
    assertTrue(m.find(), run::toString);
    String site = m.group(1);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    JsonNode leak = null;
    for (JsonNode l : summary.get("leaks")) {
      if (l.get("series").asText().equals("arrays_live_bytes")) {
        leak = l;
      }
    }
    assertTrue(leak != null, summary.get("leaks")::toString);
    double perStep = leak.get("bytes_per_step").asDouble();
    // The kept array on a saw-tooth: the small buffers ND4J makes per step are freed only when the collector runs,
    // and the robust slope over a window of teeth lands on either side of the kept bytes (98.2 % once in CI).
    assertTrue(perStep >= 0.95 * LEAK_BYTES && perStep <= 1.05 * LEAK_BYTES, "growth per step " + perStep);
    assertTrue(leak.get("first_seen_step").asLong() <= 64, leak::toString);
    JsonNode top = leak.get("sites").get(0);
    assertEquals(site, top.get("site").asText(), leak::toString);
    // Whole kept arrays (each with its shape buffer, created on the same line: tens of bytes).
    long bytes = top.get("bytes").asLong();
    assertTrue(bytes >= LEAK_BYTES && bytes % LEAK_BYTES < 0.05 * LEAK_BYTES, top::toString);
  }
  @Test
  void inTheDefaultModeEveryStepCountsTheKeptArrayAsCreatedInItAndStillAliveAtItsEnd() throws Exception {
    // memory=on (the default): ND4J's buffers are followed within their step only, in every step, counted or not.
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary", List.of(),
        "io.mltrace.examples.dl4j.LeakyDl4jTraining", "--steps", "40", "--leak-bytes", String.valueOf(LEAK_BYTES));
    assertEquals(0, run.exitCode, run::toString);
    JsonNode steps = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("steps");
    assertEquals(40, steps.size());
    int counted = 0;
    for (int i = 1; i < steps.size(); i++) { // the first step also builds the network's buffers
      JsonNode step = steps.get(i);
      JsonNode memory = step.get("memory");
      counted += step.get("detailed").asBoolean() ? 0 : 1;
      long alive = memory.get("step_arrays_alive_bytes").asLong();
      // The kept array (and its shape buffer), and ND4J's small buffers of the step that only the collector frees.
      assertTrue(alive >= LEAK_BYTES && alive < LEAK_BYTES + 64 * 1024, step::toString);
      assertTrue(memory.get("step_arrays_alive").asLong() >= 1, step::toString);
      assertTrue(memory.get("arrays_created_bytes").asLong() >= alive, step::toString);
      assertFalse(memory.has("arrays_live_bytes"), "the level of live buffers is memory=full's: " + step);
    }
    assertTrue(counted >= 30, "counted steps: " + counted);
  }
}
