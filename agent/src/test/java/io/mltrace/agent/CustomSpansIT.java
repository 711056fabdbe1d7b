package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zero-code custom spans on a hand-written DJL loop: the batch builder marked {@code data} and the loader's delay
 * marked {@code framework}, in the production mode. The marks change the categories as the user asked: the delay's
 * sleep is then a wait inside a framework call ({@code idle}) and its CPU work {@code framework}, no longer the input
 * gap's {@code data}.
 */
class CustomSpansIT {
  static final String JOB = "io.mltrace.examples.groundtruth.DjlDataSources";
  static final int STEPS = 40;
  static final int SLEEP_MS = 4;
  static final int SPIN_MS = 2;

  @TempDir
  Path out;

  @Test
  void markedMethodsBecomeSpansOfTheirCategory() throws Exception {
    String spans = JOB + "$Generator#next:data;" + JOB + "$Delay#pay:framework";
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=off,sample_every=10,spans=" + spans,
        List.of(), JOB, "--model", "mlp", "--source", "loop", "--steps", String.valueOf(STEPS),
        "--data-sleep-ms", String.valueOf(SLEEP_MS), "--data-spin-ms", String.valueOf(SPIN_MS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(!run.stderr.contains("option spans"), run::toString);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    long idle = 0;
    long framework = 0;
    long data = 0;
    for (JsonNode s : summary.get("steps")) {
      if (s.get("step").asInt() > 1) {
        idle += GroundTruth.ns(s, "idle");
        framework += GroundTruth.ns(s, "framework");
        data += GroundTruth.ns(s, "data");
      }
    }
    long slept = (STEPS - 1) * SLEEP_MS * 1_000_000L;
    long spun = (STEPS - 1) * SPIN_MS * 1_000_000L;

    // The job's own loading time is the delay and the batch building; only the building is data now.
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("datatruth step (\\d+) ns (\\d+)").matcher(run.stdout);
    long loading = 0;
    while (m.find()) {
      loading += Integer.parseInt(m.group(1)) > 1 ? Long.parseLong(m.group(2)) : 0;
    }
    // A sleep overshoots its time a little: the bounds are what was asked for and what the job measured.
    assertTrue(idle >= 0.95 * slept && idle <= loading - 0.95 * spun, "the marked delay's sleep is idle: " + idle
        + ", loading " + loading);
    assertTrue(framework >= 0.95 * spun, "its CPU work is framework: " + framework);
    assertTrue(data <= loading - 0.95 * (slept + spun), "and the delay is no longer data: data " + data
        + ", loading " + loading);
    // The detailed steps (every 10th) show both marks as spans with the method's name.
    JsonNode trace = new ObjectMapper().readTree(out.resolve("trace.json").toFile());
    int pays = 0;
    int builds = 0;
    for (JsonNode e : trace.get("traceEvents")) {
      String name = e.path("name").asText();
      if (name.equals(JOB + "$Delay.pay") && e.path("cat").asText().equals("phase")) {
        pays++;
      } else if (name.equals(JOB + "$Generator.next") && e.path("cat").asText().equals("data")) {
        builds++;
      }
    }
    assertTrue(pays >= 3 && builds >= 3, "spans in the detailed steps: pay " + pays + ", next " + builds);
  }

  /**
   * A custom span on a framework's own class: each framework's hooks were kept off the other frameworks' packages,
   * and the custom spans counted as another framework, so a span named in DL4J's (or DJL's) package never applied.
   * DL4J's MultiLayerNetwork.init runs once, outside the steps.
   */
  @Test
  void aSpanOnAFrameworksOwnClassApplies() throws Exception {
    String init = "org.deeplearning4j.nn.multilayer.MultiLayerNetwork";
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=off,spans=" + init + "#init:framework",
        List.of(), "io.mltrace.examples.dl4j.Dl4jTraining", "--model", "mlp", "--steps", "3");
    assertEquals(0, run.exitCode, run::toString);
    int spans = 0;
    for (JsonNode e : new ObjectMapper().readTree(out.resolve("trace.json").toFile()).get("traceEvents")) {
      if (e.path("name").asText().equals(init + ".init") && e.path("ph").asText().equals("X")) {
        spans++;
      }
    }
    assertTrue(spans >= 1, "MultiLayerNetwork.init as a span: " + spans + "\n" + run);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(3, summary.get("totals").get("steps").asLong(), "the steps are still steps");
  }

  @Test
  void aMalformedSpansOptionIsOneLineAndTheJobRunsOn() throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=off,spans=" + JOB + "#next:loading",
        List.of(), JOB, "--model", "mlp", "--source", "loop", "--steps", "3");
    assertEquals(0, run.exitCode, run::toString);
    long lines = run.stderr.lines().filter(l -> l.contains("option spans=")).count();
    assertEquals(1, lines, run::toString);
    assertTrue(run.stdout.contains("final loss"), run::toString);
  }
}
