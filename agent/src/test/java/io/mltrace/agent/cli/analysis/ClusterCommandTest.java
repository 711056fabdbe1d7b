package io.mltrace.agent.cli.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mltrace cluster} on three workers' output folders laid out as a Spark job writes them: one worker's data
 * is slower by a known amount in every step but one, the others jitter alike.
 */
class ClusterCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  Path dir;

  /**
   * A worker's summary.json and trace.json; {@code slowDataNs} added to its data in every step but step 7, where
   * a slowed worker is 0.5 ms faster than the others instead.
   */
  private void worker(String executor, int steps, long slowDataNs, long seed) throws Exception {
    Path folder = dir.resolve("app-1").resolve("executor-" + executor);
    Files.createDirectories(folder);
    Random r = new Random(seed);
    StringBuilder s = new StringBuilder("{\"worker\": {\"role\": \"executor\", \"executor_id\": \"" + executor
        + "\", \"host\": \"h\", \"pid\": \"10" + executor + "\"}, \"steps\": [");
    for (int i = 1; i <= steps; i++) {
      long data = 1_000_000 + r.nextInt(100_000) + (slowDataNs == 0 ? 0 : i == 7 ? -500_000 : slowDataNs);
      long gemm = 2_000_000 + r.nextInt(200_000);
      long framework = 500_000 + r.nextInt(50_000);
      s.append(i == 1 ? "" : ",").append("{\"step\": ").append(i).append(", \"wall_ns\": ")
          .append(data + gemm + framework).append(", \"breakdown_ns\": {\"data\": ").append(data)
          .append(", \"gemm\": ").append(gemm).append(", \"framework\": ").append(framework).append("}}");
    }
    Files.writeString(folder.resolve("summary.json"), s.append("]}").toString());
    Files.writeString(folder.resolve("trace.json"), "{\"traceEvents\": [{\"ph\": \"M\", \"name\": \"process_name\","
        + " \"pid\": 1, \"args\": {\"name\": \"mltrace\"}}, {\"ph\": \"X\", \"name\": \"step 1\", \"pid\": 1, \"tid\": 5,"
        + " \"ts\": 100.5, \"dur\": 20}]}");
  }

  @Test
  void theSlowedWorkerIsNamedTheStragglerWithItsCauseAndTheTracesBecomeOneProcessEach() throws Exception {
    worker("0", 40, 0, 1);
    worker("1", 40, 3_000_000, 2);
    worker("2", 38, 0, 3); // fewer steps: only steps all workers have are compared
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path target = dir.resolve("cluster");
    int exit = AnalysisCommands.run("cluster", List.of(dir.resolve("app-1").toString(), "--out", target.toString(),
        "--warmup", "2"), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, text + err.toString(StandardCharsets.UTF_8));
    assertTrue(text.contains("straggler: executor 1 (h pid 101), slowest in 97 % of steps"), text);

    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    assertEquals(36, summary.get("steps_compared").asInt(), "steps 3-38");
    assertEquals("executor 1 (h pid 101)", summary.get("straggler").get("worker").asText());
    assertEquals("data", summary.get("straggler").get("cause").asText());
    for (JsonNode step : summary.get("steps")) {
      boolean slowed = step.get("step").asInt() != 7;
      assertEquals(slowed, step.get("straggler").asText().startsWith("executor 1"), step::toString);
      if (slowed) {
        assertEquals("data", step.get("cause").asText(), step::toString);
        long by = step.get("by_ns").asLong();
        assertTrue(by > 2_500_000 && by < 3_500_000, "by how much: the injected 3 ms, give or take the jitter " + step);
      }
    }
    assertEquals(3, summary.get("workers").size());

    JsonNode trace = JSON.readTree(target.resolve("trace.json").toFile());
    int processes = 0;
    for (JsonNode e : trace.get("traceEvents")) {
      if (e.get("name").asText().equals("process_name")) {
        processes++;
        assertTrue(e.get("args").get("name").asText().startsWith("executor "), e::toString);
      } else {
        assertEquals(100.5, e.get("ts").asDouble(), "timestamps kept");
      }
    }
    assertEquals(3, processes);
    assertTrue(Files.readString(target.resolve("report.html")).contains("Slowest step and last to finish"));
  }

  /**
   * A worker whose steps carry the framework's iteration count, from {@code firstIteration} on (a worker attached
   * later starts at a later one): every iteration costs 0.1 ms more than the one before, on every worker alike, and
   * this worker {@code extraNs} more.
   */
  private void workerWithIterations(String executor, long firstIteration, int steps, long extraNs) throws Exception {
    Path folder = dir.resolve("app-2").resolve("executor-" + executor);
    Files.createDirectories(folder);
    StringBuilder s = new StringBuilder("{\"worker\": {\"role\": \"executor\", \"executor_id\": \"" + executor
        + "\", \"host\": \"h\", \"pid\": \"20" + executor + "\"}, \"steps\": [");
    for (int i = 1; i <= steps; i++) {
      long iteration = firstIteration + i - 1;
      long data = 1_000_000 + iteration * 100_000 + extraNs;
      long gemm = 2_000_000;
      s.append(i == 1 ? "" : ",").append("{\"step\": ").append(i).append(", \"iteration\": ").append(iteration)
          .append(", \"wall_ns\": ").append(data + gemm).append(", \"breakdown_ns\": {\"data\": ").append(data)
          .append(", \"gemm\": ").append(gemm).append("}}");
    }
    Files.writeString(folder.resolve("summary.json"), s.append("]}").toString());
  }

  @Test
  void workersWhoseStepsCarryTheIterationAreComparedIterationByIteration() throws Exception {
    // Executor 1 joined at iteration 10 (attached later) and is 0.5 ms faster than executor 0 at every iteration;
    // compared step by step, its k-th step (iteration k + 10, 1 ms dearer) would look 0.5 ms slower instead.
    workerWithIterations("0", 0, 40, 500_000);
    workerWithIterations("1", 10, 30, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Path target = dir.resolve("cluster-2");
    int exit = AnalysisCommands.run("cluster", List.of(dir.resolve("app-2").toString(), "--out", target.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, text);
    assertTrue(text.contains("compared iteration by iteration"), text);
    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    assertEquals("iteration", summary.get("compared_by").asText());
    assertEquals(30, summary.get("steps_compared").asInt(), "iterations 10-39, which both ran");
    assertEquals("executor 0 (h pid 200)", summary.get("straggler").get("worker").asText(), text);
    for (JsonNode step : summary.get("steps")) {
      long iteration = step.get("iteration").asLong();
      assertEquals(iteration + 1, step.get("step").asLong(), "executor 0's own step for iteration " + iteration);
      assertEquals(500_000, step.get("by_ns").asLong(), step::toString);
    }
  }

  /**
   * A worker whose trace's ts 0 lies at {@code baseNs} on its own {@code System.nanoTime()} and whose summary says its
   * clock's offset to the driver ({@code null}: not measured), with one step event 100.5 us into its trace.
   */
  private void clockedWorker(String executor, long baseNs, Long offsetNs) throws Exception {
    Path folder = dir.resolve("app-2").resolve("executor-" + executor);
    Files.createDirectories(folder);
    String clock = offsetNs == null ? "" : "\"clock\": {\"reference\": \"driver\", \"offset_ns\": " + offsetNs
        + ", \"error_ns\": 40000},";
    Files.writeString(folder.resolve("summary.json"), "{\"worker\": {\"role\": \"executor\", \"executor_id\": \""
        + executor + "\", \"host\": \"h" + executor + "\", \"pid\": \"1\"}, " + clock + " \"steps\": [{\"step\": 1,"
        + " \"wall_ns\": 1000, \"breakdown_ns\": {\"gemm\": 1000}}]}");
    Files.writeString(folder.resolve("trace.json"), "{\"otherData\": {\"producer\": \"mltrace\", \"clock_base_ns\": "
        + baseNs + "}, \"traceEvents\": [{\"ph\": \"X\", \"name\": \"step 1\", \"pid\": 1, \"tid\": 5,"
        + " \"ts\": 100.5, \"dur\": 20}]}");
  }

  @Test
  void theMergedTraceIsOnTheDriversClockByEachWorkersBaseAndMeasuredOffset() throws Exception {
    // Executor 0: ts 0 at 5 s on its clock, which is 2 ms behind the driver's: 5.002 s on the driver's clock.
    // Executor 1: ts 0 at 9 s on its clock; with its offset, 128.458789123 s on the driver's clock, which is
    // 123.456789123 s after executor 0's start.
    clockedWorker("0", 5_000_000_000L, 2_000_000L);
    clockedWorker("1", 9_000_000_000L, 119_458_789_123L);
    Path target = dir.resolve("cluster2");
    String text = cluster("app-2", target);
    assertTrue(text.contains("clocks: executor 0 (h0 pid 1) +2.000 ms ± 0.040"), text);
    JsonNode trace = JSON.readTree(target.resolve("trace.json").toFile());
    double[] ts = new double[2];
    for (JsonNode e : trace.get("traceEvents")) {
      ts[(int) (e.get("pid").asLong() / 1000) - 1] = e.get("ts").decimalValue().doubleValue();
    }
    assertEquals(100.5, ts[0], 1e-9, "the earliest worker starts the merged trace");
    assertEquals(123_456_789.123 + 100.5, ts[1], 1e-6, "shifted to the nanosecond, at any magnitude");
    JsonNode workers = JSON.readTree(target.resolve("summary.json").toFile()).get("workers");
    assertEquals(2_000_000L, workers.get(0).get("clock_offset_ns").asLong());
    assertEquals(40_000L, workers.get(1).get("clock_error_ns").asLong());
  }

  @Test
  void workersWithoutAClockKeepTheirOwnTimelinesAndTheTextSaysSo() throws Exception {
    clockedWorker("0", 5_000_000_000L, null);
    clockedWorker("1", 5_000_300_000L, null);
    Path target = dir.resolve("cluster3");
    String text = cluster("app-2", target);
    assertTrue(text.contains("clocks: not measured"), text);
    JsonNode trace = JSON.readTree(target.resolve("trace.json").toFile());
    // One host's monotonic clock: executor 1's trace began 0.3 ms after executor 0's.
    for (JsonNode e : trace.get("traceEvents")) {
      assertEquals(e.get("pid").asLong() / 1000 == 1 ? 100.5 : 400.5, e.get("ts").asDouble(), 1e-9, e::toString);
    }
  }

  /**
   * A worker's summary.json: its steps as {start on its own clock, wall, idle, data, gemm} (ns), iteration k at step
   * k + 1; {@code offsetNs} its measured clock offset to the driver, or null.
   */
  private Path summaryOf(String app, String executor, String host, Long offsetNs, long[]... steps) throws Exception {
    Path folder = dir.resolve(app).resolve("executor-" + executor);
    Files.createDirectories(folder);
    StringBuilder s = new StringBuilder("{\"worker\": {\"role\": \"executor\", \"executor_id\": \"" + executor
        + "\", \"host\": \"" + host + "\", \"pid\": \"1\"}, ");
    if (offsetNs != null) {
      s.append("\"clock\": {\"reference\": \"driver\", \"offset_ns\": ").append(offsetNs).append(", \"error_ns\": 30000}, ");
    }
    s.append("\"steps\": [");
    for (int i = 0; i < steps.length; i++) {
      long[] st = steps[i];
      s.append(i == 0 ? "" : ",").append("{\"step\": ").append(i + 1).append(", \"iteration\": ").append(i)
          .append(", \"start_ns\": ").append(st[0]).append(", \"wall_ns\": ").append(st[1])
          .append(", \"breakdown_ns\": {\"idle\": ").append(st[2]).append(", \"data\": ").append(st[3])
          .append(", \"gemm\": ").append(st[4]).append("}}");
    }
    Files.writeString(folder.resolve("summary.json"), s.append("]}").toString());
    return folder;
  }

  /** A worker whose steps, all data, run back to back from {@code firstStartNs} on its own clock. */
  private void timedWorker(String app, String executor, String host, Long offsetNs, long firstStartNs, long... walls)
      throws Exception {
    long[][] steps = new long[walls.length][];
    long start = firstStartNs;
    for (int i = 0; i < walls.length; i++) {
      steps[i] = new long[] {start, walls[i], 0, walls[i], 0};
      start += walls[i];
    }
    summaryOf(app, executor, host, offsetNs, steps);
  }


  private static long[] walls(int n, long ns, int slowAt, long slowNs) {
    long[] w = new long[n];
    java.util.Arrays.fill(w, ns);
    if (slowAt >= 0) {
      w[slowAt] = slowNs;
    }
    return w;
  }

  @Test
  void theWorkerThatFinishesLastIsNamedOnTheDriversClockEvenWhereAnotherHadTheSlowestStep() throws Exception {
    // Executor 0 (host a, its clock 1 s behind the driver's) takes 10.5 ms a step; executor 1 (host b, its clock
    // 3 s ahead) 10 ms, but 12 ms at iteration 7. Both start at the driver's 10 s. At iteration 7 executor 1 has the
    // slowest step, yet executor 0, 0.5 ms later at every step, finished last: 2 ms after executor 1's finish.
    timedWorker("app-3", "0", "a", 1_000_000_000L, 9_000_000_000L, walls(10, 10_500_000, -1, 0));
    timedWorker("app-3", "1", "b", -3_000_000_000L, 13_000_000_000L, walls(10, 10_000_000, 7, 12_000_000));
    Path target = dir.resolve("cluster4");
    String text = cluster("app-3", target);
    assertTrue(text.contains("finished last: executor 0 (a pid 1) in 100 % of steps"), text);
    assertTrue(text.contains("on the driver's clock"), text);
    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    assertEquals("driver", summary.get("finish_clock").asText());
    assertEquals(1.0, summary.get("finished_last").get("share_of_steps").asDouble());
    for (JsonNode step : summary.get("steps")) {
      long k = step.get("iteration").asLong();
      assertEquals("executor 0 (a pid 1)", step.get("finished_last").asText(), step::toString);
      long lag = (k + 1) * 500_000 - (k >= 7 ? 2_000_000 : 0);
      assertEquals(lag, step.get("finish_lag_ns").asLong(), step::toString);
      assertEquals(k == 7 ? "executor 1 (b pid 1)" : "executor 0 (a pid 1)", step.get("straggler").asText(),
          "the slowest step: " + step);
    }
    assertTrue(Files.readString(target.resolve("report.html")).contains("<td>executor 0 (a pid 1)</td><td>2.00</td>"),
        "iteration 7's row: finished 2 ms after the other");
  }

  @Test
  void workersOnTwoHostsWithoutClocksAreNotOrderedByFinish() throws Exception {
    timedWorker("app-4", "0", "a", null, 9_000_000_000L, walls(5, 10_500_000, -1, 0));
    timedWorker("app-4", "1", "b", null, 13_000_000_000L, walls(5, 10_000_000, -1, 0));
    Path target = dir.resolve("cluster5");
    String text = cluster("app-4", target);
    assertTrue(!text.contains("finished last"), text);
    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    assertTrue(summary.get("finish_clock").isNull() && summary.get("finished_last").isNull(), summary::toString);
    assertTrue(!summary.get("steps").get(0).has("finished_last"));
  }

  private static final long MS = 1_000_000L;

  /**
   * A worker whose steps are given on the driver's clock as {start, wall, idle, data, gemm} (ms), written on its own
   * clock ({@code offsetNs}: the driver's minus its own), iteration k at step k + 1; its trace.json holds a task start
   * ({@code getInitialModel}) at each of {@code tasksMs} (driver's clock).
   */
  private void workerWithTasks(String app, String executor, long offsetNs, long[] tasksMs, long[]... steps)
      throws Exception {
    long[][] ns = new long[steps.length][];
    for (int i = 0; i < steps.length; i++) {
      long[] st = steps[i];
      ns[i] = new long[] {st[0] * MS - offsetNs, st[1] * MS, st[2] * MS, st[3] * MS, st[4] * MS};
    }
    Path folder = summaryOf(app, executor, "h" + executor, offsetNs, ns);
    long base = 900 * MS - offsetNs; // the worker's trace begins at 900 ms on the driver's clock
    StringBuilder t = new StringBuilder("{\"otherData\": {\"clock_base_ns\": " + base + "}, \"traceEvents\": [");
    for (int i = 0; i < tasksMs.length; i++) {
      t.append(i == 0 ? "" : ", ").append("{\"ph\": \"X\", \"name\": \"org.deeplearning4j.spark.impl.paramavg."
          + "ParameterAveragingTrainingWorker.getInitialModel\", \"pid\": 1, \"tid\": 1, \"ts\": ")
          .append((tasksMs[i] - 900) * 1000).append(", \"dur\": 1000}");
    }
    Files.writeString(folder.resolve("trace.json"), t.append("]}").toString());
  }

  @Test
  void theWaitBetweenSplitsIsTakenOutSoTheWorkerThatWaitedIsNotTheStraggler() throws Exception {
    // Executor 0 fits a batch in 10 ms, executor 1 in 20. Split 2's tasks come at 1065 ms: executor 0's first step
    // of it began when it finished split 1 (1030 ms) and holds 35 ms of waiting, which JFR saw as the thread parked
    // (idle); executor 1's holds 5 ms, in data (as with JVM events off).
    workerWithTasks("app-5", "0", 2_000 * MS, new long[] {995, 1065}, new long[] {1000, 10, 0, 0, 10},
        new long[] {1010, 10, 0, 0, 10}, new long[] {1020, 10, 0, 0, 10}, new long[] {1030, 50, 35, 5, 10},
        new long[] {1080, 10, 0, 0, 10}, new long[] {1090, 10, 0, 0, 10});
    workerWithTasks("app-5", "1", -5_000 * MS, new long[] {995, 1065}, new long[] {1000, 20, 0, 0, 20},
        new long[] {1020, 20, 0, 0, 20}, new long[] {1040, 20, 0, 0, 20}, new long[] {1060, 30, 0, 10, 20},
        new long[] {1090, 20, 0, 0, 20}, new long[] {1110, 20, 0, 0, 20});
    Path target = dir.resolve("cluster6");
    String text = cluster("app-5", target);
    assertTrue(text.contains("waited between splits for their next task (split_wait, out of the step times compared):"
        + " executor 0 (h0 pid 1) 35.0 ms, executor 1 (h1 pid 1) 5.0 ms"), text);
    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    for (JsonNode step : summary.get("steps")) {
      // Every iteration, the split's first included: executor 1's batches are slower (gemm), and it finishes last.
      assertTrue(step.get("straggler").asText().startsWith("executor 1"), step::toString);
      assertEquals("gemm", step.get("cause").asText(), step::toString);
      assertTrue(step.get("finished_last").asText().startsWith("executor 1"), step::toString);
    }
    JsonNode fast = summary.get("workers").get(0).get("breakdown_ns");
    assertEquals(35 * MS, fast.get("split_wait").asLong());
    assertEquals(0, fast.get("idle").asLong(), "the park was the wait");
    assertEquals(5 * MS, fast.get("data").asLong(), "the task's own first fetch stays data");
    JsonNode slow = summary.get("workers").get(1).get("breakdown_ns");
    assertEquals(5 * MS, slow.get("split_wait").asLong(), "out of data, without JVM events");
    assertEquals(5 * MS, slow.get("data").asLong());
  }

  @Test
  void withoutTaskSpansTheDriversRoundsMarkTheSplitsOnTheDriversClock() throws Exception {
    // In the production mode a counted step's phases stay out of trace.json, but the driver's rounds (spans outside
    // steps) are there: round 2 began at 1050 ms on the driver's clock, 20 ms into executor 0's first step of the
    // split (its clock 2 s behind), after executor 1's began (its clock 5 s ahead). The tasks came at 1065.
    Path driver = Files.createDirectories(dir.resolve("app-8").resolve("driver"));
    Files.writeString(driver.resolve("summary.json"), "{\"worker\": {\"role\": \"driver\", \"executor_id\":"
        + " \"driver\", \"host\": \"d\", \"pid\": \"9\"}, \"clock\": {\"reference\": \"driver\", \"offset_ns\": 0,"
        + " \"error_ns\": 0}, \"steps\": []}");
    String round = "org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster.doIteration";
    Files.writeString(driver.resolve("trace.json"), "{\"otherData\": {\"clock_base_ns\": " + 900 * MS + "},"
        + " \"traceEvents\": [{\"ph\": \"X\", \"name\": \"" + round + "\", \"pid\": 1, \"tid\": 1, \"ts\": 90000,"
        + " \"dur\": 60000}, {\"ph\": \"X\", \"name\": \"" + round + "\", \"pid\": 1, \"tid\": 1, \"ts\": 150000,"
        + " \"dur\": 70000}]}");
    workerWithTasks("app-8", "0", 2_000 * MS, new long[0], new long[] {1000, 10, 0, 0, 10},
        new long[] {1010, 10, 0, 0, 10}, new long[] {1020, 10, 0, 0, 10}, new long[] {1030, 50, 35, 5, 10},
        new long[] {1080, 10, 0, 0, 10});
    workerWithTasks("app-8", "1", -5_000 * MS, new long[0], new long[] {1000, 20, 0, 0, 20},
        new long[] {1020, 20, 0, 0, 20}, new long[] {1040, 20, 0, 0, 20}, new long[] {1060, 35, 0, 10, 25},
        new long[] {1095, 20, 0, 0, 20});
    Path target = dir.resolve("cluster8");
    String text = cluster("app-8", target);
    assertTrue(text.contains("(split_wait, out of the step times compared): executor 0 (h0 pid 1) 20.0 ms\n"), text);
    JsonNode summary = JSON.readTree(target.resolve("summary.json").toFile());
    JsonNode split = summary.get("steps").get(3);
    assertEquals(3, split.get("iteration").asLong());
    assertTrue(split.get("straggler").asText().startsWith("executor 1"), split::toString);
    assertEquals("gemm", split.get("cause").asText(), split::toString);
    JsonNode fast = summary.get("workers").get(1).get("breakdown_ns");
    assertEquals(20 * MS, fast.get("split_wait").asLong());
    assertEquals(15 * MS, fast.get("idle").asLong(), "the round's broadcast and the task's launch stay idle");
  }

  @Test
  void aStragglerThatAlsoWaitedLongerIsSlowForItsWorkNotForItsWait() throws Exception {
    // At split 2 (tasks at 1060 ms) executor 0 had waited 50 ms and then fitted in 20; executor 1 waited 10 and
    // fitted in 10. Executor 0 is the straggler of that iteration, for its gemm: the wait grew more, but is no cause.
    workerWithTasks("app-7", "0", 0, new long[] {995, 1060}, new long[] {1000, 10, 0, 0, 10},
        new long[] {1010, 70, 50, 0, 20});
    workerWithTasks("app-7", "1", 0, new long[] {995, 1060}, new long[] {1000, 50, 0, 0, 50},
        new long[] {1050, 20, 10, 0, 10});
    Path target = dir.resolve("cluster7");
    cluster("app-7", target);
    JsonNode step = JSON.readTree(target.resolve("summary.json").toFile()).get("steps").get(1);
    assertTrue(step.get("straggler").asText().startsWith("executor 0"), step::toString);
    assertEquals("gemm", step.get("cause").asText(), step::toString);
    assertEquals(20 * MS, step.get("wall_ns").asLong(), "the step time compared: less the wait");
  }

  /** Runs {@code mltrace cluster} over {@code app}'s folders into {@code target}; returns what it printed. */
  private String cluster(String app, Path target) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = AnalysisCommands.run("cluster", List.of(dir.resolve(app).toString(), "--out", target.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void oneWorkerOrNoneIsAUsageErrorWithOneLine() throws Exception {
    worker("0", 5, 0, 1);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = AnalysisCommands.run("cluster", List.of(dir.toString()), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, exit);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("found 1 worker folder"), err::toString);
  }
}
