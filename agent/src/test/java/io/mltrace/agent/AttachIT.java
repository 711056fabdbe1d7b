package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real training job started without the agent; the command line attaches, takes a 10-step window, reconfigures
 * (a second attach), and stops to the cheapest mode; then the job is told to end ({@code --stop-file}) and must end
 * with the same final loss as its unattached twin, run after it for exactly as many steps. On JDK 17 (the JDK running
 * the tests) and, where installed, on JDK 25 with and without {@code -XX:+EnableDynamicAgentLoading} (that flag, whose
 * only effect is the JDK's warning, with the first job only).
 *
 * <p>Why the stop file: the jobs are long enough (tens of seconds on a loaded 2-core machine) for the commands to run
 * while they train, and ran to their end beside a twin that did the same, 35-77 s a case and 6 minutes in all in CI;
 * the time after the last command proved nothing.
 */
class AttachIT {
  /**
   * A job to attach to: its main class prints {@code final loss <value>}; {@code trainingFrame} is a frame of its
   * training loop, {@code jvmFlags} what its JVM needs whether attached or not.
   */
  record Job(String label, String mainClass, String trainingFrame, List<String> jvmFlags, List<String> args) {
    @Override
    public String toString() {
      return label;
    }
  }

  /** A JVM to run the job (and the command line) on. */
  record Jvm(String label, Path home, List<String> flags) {
    @Override
    public String toString() {
      return label;
    }
  }

  /**
   * Every job the test attaches to. Long enough (tens of seconds on a loaded 2-core machine) for the attach, the
   * window and the stop to happen while it trains; told to end once they have. Another framework's job is one more
   * line here.
   */
  static final List<Job> JOBS = List.of(
      new Job("djl-mlp", "io.mltrace.examples.djl.MlpTraining", "ai.djl.training.", List.of(),
          List.of("--steps", "2500", "--batch", "8", "--hidden", "2048", "--seed", "7")),
      // 250 batches, 40 epochs: 10000 steps of about 5 ms (unloaded), so it trains well past the commands.
      new Job("dl4j-mlp", Dl4jTrace.MAIN, "org.deeplearning4j.nn.multilayer.MultiLayerNetwork.fit",
          Dl4jTrace.JVM_FLAGS,
          List.of("--model", "mlp", "--steps", "250", "--epochs", "40", "--seed", "7")));

  static final Path JDK25 = Paths.get("/usr/lib/jvm/temurin-25-jdk-amd64");
  static final int WINDOW_STEPS = 10;
  static final Pattern PAUSE = Pattern.compile("longest pause ([0-9.]+) ms");
  static final Pattern STEPS_DONE = Pattern.compile("final loss \\S+ after (\\d+) steps");
  static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"RedefineClasses\".*Total: (\\d+) ns");
  static final String DYNAMIC_WARNING = "WARNING: A Java agent has been loaded dynamically";
  static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> cases() {
    List<Jvm> jvms = new ArrayList<>();
    jvms.add(new Jvm("jdk" + Runtime.version().feature(), Paths.get(System.getProperty("java.home")), List.of()));
    if (Files.isExecutable(JDK25.resolve("bin/java"))) {
      jvms.add(new Jvm("jdk25", JDK25, List.of()));
      jvms.add(new Jvm("jdk25+EnableDynamicAgentLoading", JDK25, List.of("-XX:+EnableDynamicAgentLoading")));
    }
    List<Arguments> cases = new ArrayList<>();
    for (Job job : JOBS) {
      for (Jvm jvm : jvms) {
        if (job == JOBS.get(0) || !jvm.flags().contains("-XX:+EnableDynamicAgentLoading")) {
          cases.add(Arguments.of(job, jvm));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void attachWindowAndStopLeaveTheTrainingResultUnchanged(Job job, Jvm jvm, @TempDir Path dir) throws Exception {
    Path safepoints = dir.resolve("safepoints.log");
    List<String> flags = new ArrayList<>(jvm.flags());
    flags.addAll(job.jvmFlags());
    flags.add("-Xlog:safepoint:file=" + safepoints);
    Path window = dir.resolve("window");
    Path stopTarget = dir.resolve("stop-target");
    List<String> targetArgs = new ArrayList<>(job.args());
    targetArgs.addAll(List.of("--stop-file", stopTarget.toString()));
    try (TrainingProcess target = TrainingProcess.start(jvm.home(), flags, job.mainClass(), targetArgs)) {
      target.awaitFrame(job.trainingFrame(), 120);
      String pid = String.valueOf(target.pid());

      Cli notLoaded = Cli.run(jvm.home(), "status", pid);
      assertEquals(6, notLoaded.exitCode, notLoaded::toString);

      Cli attach = Cli.run(jvm.home(), "attach", pid);
      assertEquals(0, attach.exitCode, attach::toString);
      Matcher pause = PAUSE.matcher(attach.stdout);
      assertTrue(pause.find(), attach::toString);
      double pauseMs = Double.parseDouble(pause.group(1));
      assertTrue(attach.stdout.contains("retransformed"), "framework classes were loaded, so some were retransformed: "
          + attach);

      Cli again = Cli.run(jvm.home(), "attach", pid, "mode=default", "sample_every=50");
      assertEquals(0, again.exitCode, again::toString);
      assertTrue(again.stdout.contains("already loaded") && again.stdout.contains("1 step in 50"), again::toString);

      Cli trace = Cli.run(jvm.home(), "trace", pid, "--steps", String.valueOf(WINDOW_STEPS), "--out",
          window.toString());
      assertEquals(0, trace.exitCode, () -> trace + "\n" + target);
      assertTrue(trace.stdout.contains("summary: " + window.resolve("summary.json")), trace::toString);
      assertTrue(trace.stdout.contains("report: " + window.resolve("report.html")), trace::toString);

      Cli stop = Cli.run(jvm.home(), "stop", pid);
      assertEquals(0, stop.exitCode, stop::toString);
      Cli status = Cli.run(jvm.home(), "status", pid);
      assertEquals(0, status.exitCode, status::toString);
      assertTrue(status.stdout.contains("mode: off"), status::toString);
      assertTrue(status.stdout.contains("window: 1 done, 10 of 10 steps"), status::toString);

      Files.createFile(stopTarget);
      assertEquals(0, target.await(600), target::toString);
      Matcher done = STEPS_DONE.matcher(target.stdout());
      assertTrue(done.find(), target::toString);
      Path stopTwin = Files.writeString(dir.resolve("stop-twin"), done.group(1));
      List<String> twinArgs = new ArrayList<>(job.args());
      twinArgs.addAll(List.of("--stop-file", stopTwin.toString()));
      try (TrainingProcess twin = TrainingProcess.start(jvm.home(), job.jvmFlags(), job.mainClass(), twinArgs)) {
        assertEquals(0, twin.await(600), twin::toString);
        assertTrue(twin.stdout().contains("after " + done.group(1) + " steps"), () -> "as long as the job: " + twin);
        assertEquals(twin.finalLoss(), target.finalLoss(), "same seed, same result with the agent attached");
      }

      String stderr = target.stderr();
      assertEquals(1, stderr.lines().filter(l -> l.startsWith("mltrace: attached:")).count(),
          "one agent installed, however many attaches: " + stderr);
      assertWindowHoldsExactlyItsSteps(window);
      assertPauseMatchesTheJvmsOwnLog(pauseMs, Files.readString(safepoints));
      boolean warns = jvm.home().equals(JDK25) && !jvm.flags().contains("-XX:+EnableDynamicAgentLoading");
      assertEquals(warns, stderr.contains(DYNAMIC_WARNING), stderr);
      assertEquals(warns, attach.stderr.contains("-XX:+EnableDynamicAgentLoading"), "the note explains it: "
          + attach);
    }
  }

  private static void assertWindowHoldsExactlyItsSteps(Path window) throws Exception {
    JsonNode summary = JSON.readTree(window.resolve("summary.json").toFile());
    JsonNode steps = summary.get("steps");
    assertEquals(WINDOW_STEPS, steps.size(), summary::toString);
    assertEquals(WINDOW_STEPS, summary.get("totals").get("steps").asLong());
    long first = steps.get(0).get("step").asLong();
    for (int i = 0; i < WINDOW_STEPS; i++) {
      JsonNode s = steps.get(i);
      assertEquals(first + i, s.get("step").asLong(), "consecutive steps");
      assertTrue(s.get("detailed").asBoolean(), s::toString);
      assertTrue(s.get("breakdown_ns").get("gemm").asLong() > 0, "ops recorded in the window: " + s);
    }
    JsonNode trace = JSON.readTree(window.resolve("trace.json").toFile());
    long stepEvents = 0;
    for (JsonNode e : trace.get("traceEvents")) {
      if ("step".equals(e.path("cat").asText())) {
        stepEvents++;
        long n = e.get("args").get("step").asLong();
        assertTrue(n >= first && n < first + WINDOW_STEPS, e::toString);
      }
    }
    assertEquals(WINDOW_STEPS, stepEvents);
  }

  /**
   * A retransformation happened (the JVM logged RedefineClasses safepoints) and the agent reported a pause. Its value
   * is an estimate, only checked not to be wildly above the JVM's figure: the probe has read from 0.39x to 2x the
   * logged one on this loaded machine (see docs/benchmarks.md).
   */
  private static void assertPauseMatchesTheJvmsOwnLog(double reportedMs, String log) {
    Matcher m = SAFEPOINT.matcher(log);
    long longestNs = 0;
    int count = 0;
    while (m.find()) {
      longestNs = Math.max(longestNs, Long.parseLong(m.group(1)));
      count++;
    }
    assertTrue(count > 0, "the JVM logged RedefineClasses safepoints: " + log);
    double loggedMs = longestNs / 1e6;
    assertTrue(reportedMs > 0, "reported " + reportedMs + " ms, JVM logged " + loggedMs + " ms");
    assertFalse(reportedMs > 10 * loggedMs + 200, "reported " + reportedMs + " ms, JVM logged " + loggedMs + " ms");
  }
}
