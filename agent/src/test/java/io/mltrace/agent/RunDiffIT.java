package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mltrace diff} and {@code mltrace check} on two real DJL runs: a data loader that waits 5 ms per batch
 * (the baseline) and one that waits 15 ms. The baseline waits too: a loader that does not wait has data times
 * that swing by milliseconds while the JIT compiles (see docs/analysis.md). The data change is checked against
 * the fetch times the job measured itself (a sleep's wake-up is late under load).
 */
class RunDiffIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 60;
  /** The default warm-up the diff leaves out: a tenth of the steps. */
  static final int WARMUP = 6;
  static final int BASE_SLEEP_MS = 5;
  static final int INJECTED_MS = 10;
  static final Path JAVA_HOME = Paths.get(System.getProperty("java.home"));

  @TempDir
  static Path dir;
  static Path baseline;
  static Path delayed;
  static double baselineFetchMedianNs;
  static double delayedFetchMedianNs;

  @BeforeAll
  static void runTwoJobs() throws Exception {
    baseline = dir.resolve("baseline");
    delayed = dir.resolve("delayed");
    double[] fetch = runBoth(baseline, delayed);
    baselineFetchMedianNs = fetch[0];
    delayedFetchMedianNs = fetch[1];
  }

  /** The baseline job into {@code a} and the delayed one into {@code b}; their median fetch times, as measured. */
  private static double[] runBoth(Path a, Path b) throws Exception {
    // Both jobs run at once, so that the machine's other load (this is a shared machine) weighs on both alike: run
    // one after the other under a load average of 6 on 2 cores, the baseline's framework time once came out 1 ms
    // (57 %) higher than the other run's, a real difference between the two runs, but not the injected one.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Double> fa = pool.submit(() -> run(a, BASE_SLEEP_MS));
      Future<Double> fb = pool.submit(() -> run(b, BASE_SLEEP_MS + INJECTED_MS));
      return new double[] {fa.get(), fb.get()};
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs the job and returns the median data time per analysed step that the application measured itself. */
  private static double run(Path out, int sleepMs) throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,mode=full,console=off", List.of(),
        "io.mltrace.examples.groundtruth.DjlGroundTruth", "--steps", String.valueOf(STEPS), "--data-sleep-ms",
        String.valueOf(sleepMs));
    assertEquals(0, run.exitCode, run::toString);
    // A step's data work: fetching its batch, and releasing the previous step's (closed after the optimizer).
    Matcher m = Pattern.compile("groundtruth step (\\d+) fetch_ns (\\d+) close_ns (\\d+)").matcher(run.stdout);
    List<Double> perStep = new ArrayList<>();
    long previousClose = 0;
    while (m.find()) {
      if (Integer.parseInt(m.group(1)) > WARMUP) {
        perStep.add((double) (Long.parseLong(m.group(2)) + previousClose));
      }
      previousClose = Long.parseLong(m.group(3));
    }
    assertEquals(STEPS - WARMUP, perStep.size(), run::toString);
    double[] sorted = perStep.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  private static JsonNode diff(Path a, Path b, String name) throws Exception {
    Path out = dir.resolve(name);
    Cli cli = Cli.run(JAVA_HOME, "diff", a.toString(), b.toString(), "--out", out.toString());
    assertEquals(0, cli.exitCode, cli::toString);
    assertTrue(Files.readString(out.resolve("diff.html")).contains("Top changes"), "diff.html written");
    return JSON.readTree(out.resolve("diff.json").toFile());
  }

  @Test
  void aRunAgainstItselfShowsNoSignificantChange() throws Exception {
    JsonNode diff = diff(baseline, baseline, "self");
    assertEquals(0, diff.get("significant").asInt(), diff.toString());
    assertTrue(diff.get("changes").size() > 20, "categories, phases and ops compared: " + diff);
    for (JsonNode c : diff.get("changes")) {
      assertEquals(0, c.get("delta").asDouble(), c.toString());
    }
  }

  @Test
  void aTenMillisecondDataDelayIsDataUpByItAndNothingElse() throws Exception {
    String first = delayIsDataOnly(baseline, delayed, baselineFetchMedianNs, delayedFetchMedianNs, "delay");
    if (first == null) {
      return;
    }
    // Once more before failing: the two jobs share 2 cores, and in one clean-clone CI run the delayed job's compute
    // ran twice as slow as the baseline's (trainBatch 4.0 against 8.4 ms a step, measured spans in mode=full, nothing
    // estimated): a real difference between the two runs, not the injected one. A delay put into another category
    // would show in every run.
    System.out.println("RunDiffIT: " + first + ": run again");
    Path a = dir.resolve("baseline-2");
    Path b = dir.resolve("delayed-2");
    double[] fetch = runBoth(a, b);
    String second = delayIsDataOnly(a, b, fetch[0], fetch[1], "delay-2");
    assertTrue(second == null, "twice: " + first + "\nthen: " + second);
  }

  /**
   * Null when the diff of {@code a} against {@code b} (the loader 10 ms slower) puts the delay in data, as the jobs
   * measured it, and nothing else; else what it found instead.
   */
  private static String delayIsDataOnly(Path a, Path b, double aFetchNs, double bFetchNs, String name)
      throws Exception {
    JsonNode diff = diff(a, b, name);
    // The injected 10 ms as the job measured it: on a loaded machine a wake-up from either sleep can be late, so
    // the measured difference is what the diff must match (it was 10.1 ms on a quiet machine, 8.5 ms under load 6).
    double truth = bFetchNs - aFetchNs;
    if (truth < 0.5 * INJECTED_MS * 1e6) {
      return "the loader waited only " + truth + " ns more";
    }
    String text = Files.readString(dir.resolve(name).resolve("diff.json"));
    JsonNode data = change(diff, "category", "data", "time");
    if (!data.get("significant").asBoolean()) {
      return "data not significant: " + data;
    }
    if (Math.abs(data.get("delta").asDouble() - truth) > 0.05 * truth) {
      return "data delta " + data.get("delta") + " vs " + truth + " measured by the application";
    }
    // What a slower loader must move: the data category and span, the step, and the step's GFLOP/s. Anything else
    // the diff finds must be the job's own side effect of sleeping, small beside the delay: a thread that slept
    // 10 ms wakes to cold caches (a clean-clone CI run read the trainBatch phase 0.45 ms slower a step in the delayed
    // run, significant by the diff's test); a delay put into another category would be about the whole 10 ms.
    List<String> expected = Arrays.asList("category|data|time", "phase|data/data|time", "step|wall|time",
        "step|gflops|gflops");
    for (JsonNode c : diff.get("changes")) {
      String key = c.get("section").asText() + "|" + c.get("name").asText() + "|" + c.get("measure").asText();
      if (c.get("significant").asBoolean() && !expected.contains(key)
          && !(c.get("unit").asText().equals("ns") && Math.abs(c.get("delta").asDouble()) <= 0.1 * truth)) {
        return "unexpected significant change " + c + " in " + text;
      }
    }
    return null;
  }

  private static JsonNode change(JsonNode diff, String section, String name, String measure) {
    for (JsonNode c : diff.get("changes")) {
      if (c.get("section").asText().equals(section) && c.get("name").asText().equals(name)
          && c.get("measure").asText().equals(measure)) {
        return c;
      }
    }
    throw new AssertionError("no " + section + " " + name + " in " + diff);
  }

  @Test
  void checkExitsOneWithALinePerViolatedBoundAndZeroWhenAllHold() throws Exception {
    Cli violated = Cli.run(JAVA_HOME, "check", delayed.toString(), "--baseline", baseline.toString(),
        "data <= 10%", "step_p50 <= 1.2x", "unattributed <= 50%");
    assertEquals(1, violated.exitCode, violated::toString);
    List<String> lines = violated.stderr.lines().filter(l -> l.startsWith("mltrace check: VIOLATED")).toList();
    assertEquals(2, lines.size(), violated::toString);
    assertTrue(lines.get(0).startsWith("mltrace check: VIOLATED data <= 10%: data is "), lines.get(0));
    assertTrue(lines.get(1).startsWith("mltrace check: VIOLATED step_p50 <= 1.2x"), lines.get(1));

    Path bounds = dir.resolve("bounds.txt");
    Files.writeString(bounds, "# the delayed job is mostly waiting for data\ndata >= 50%\nunattributed <= 50%\n");
    Cli holds = Cli.run(JAVA_HOME, "check", delayed.toString(), "--bounds", bounds.toString(), "--baseline",
        baseline.toString(), "step_p50 >= 1.2x");
    assertEquals(0, holds.exitCode, holds::toString);
    assertTrue(holds.stdout.contains("3 bounds hold"), holds::toString);
  }
}
