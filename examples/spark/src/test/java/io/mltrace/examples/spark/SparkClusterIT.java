package io.mltrace.examples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.exporters.testing.Jaeger;
import io.mltrace.exporters.testing.Prometheus;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on this machine (a master and two workers, each executor its own JVM, started by
 * {@code benchmarks/spark/cluster.sh}), the DL4J MLP trained on it by parameter averaging ({@code submit.sh}) with
 * the agent on the driver and on both executors. Each executor's folder holds its own files, named by its identity;
 * each executor's steps are DL4J's own per-worker fits (its {@code SparkTrainingStats}), and together they are the
 * job's minibatches; the spans of both executors reach one Jaeger under resources naming each. Then the same with gradient sharing ({@code SharedTrainingMaster}), where DL4J keeps no
 * stats: each executor's folder and identity, and steps that sum to the minibatches. The straggler run also has
 * each JVM announce a free-port metrics endpoint to a real Prometheus, which holds both executors' series under their
 * {@code worker} labels. Skipped only when the Spark distribution is not installed ({@code .ci/setup} installs it).
 */
class SparkClusterIT {
  static final int BATCHES = 24;
  static final int AVERAGING = 3;
  static final long CLUSTER_START_S = 150;
  static final long JOB_S = 300;
  /** How long the straggler sleeps before each of its fits: several times a step of this MLP, and its first steps (interpreted, cold) too. */
  static final long SLOW_MS = 100;
  static final long STOP_S = 45;
  static final long EXECUTOR_EXIT_S = 60;
  /** Aeron (gradient sharing) refuses its defaults as DL4J sets them: the unblock timeout must exceed liveness. */
  static final String AERON_TIMEOUT = "-Daeron.publication.unblock.timeout=60000000000";

  @TempDir
  Path dir;

  @Test
  void everyExecutorTracesItsOwnPartitionsUnderItsOwnIdentity() throws Exception {
    Path sparkHome = Paths.get(System.getProperty("mltrace.spark.home"));
    Assumptions.assumeTrue(Files.isDirectory(sparkHome.resolve("jars")),
        "no Spark distribution at " + sparkHome + ": benchmarks/spark/install.sh (run by .ci/setup) installs it");
    Path scripts = Paths.get(System.getProperty("mltrace.spark.scripts"));
    for (String p : List.of("mltrace.agent.jar", "mltrace.spark.job.jar", "mltrace.spark.classpath")) {
      assertTrue(Files.isRegularFile(Paths.get(System.getProperty(p))), p + " is built before this test");
    }
    Path clusterDir = dir.resolve("cluster");
    Path out = dir.resolve("out");
    Path stats = dir.resolve("dl4j-stats.txt");
    Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString());
    List<Long> daemons = new ArrayList<>();
    assertTrue(Files.isExecutable(Jaeger.BINARY), Jaeger.BINARY + " is built by .ci/setup");
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger")), 0)) {
      Run start = run(List.of(scripts.resolve("cluster.sh").toString(), "start", clusterDir.toString(),
          Integer.toString(freePort())), env, dir.resolve("cluster-start.log"), CLUSTER_START_S);
      daemons.addAll(pids(clusterDir));
      assertEquals(0, start.exit, () -> "cluster start failed:\n" + start.output());
      String master = start.lastLine();
      assertTrue(master.startsWith("spark://127.0.0.1:"), master);

      // Every step detailed (mode=full), so that each executor sends spans to Jaeger under its own resource.
      Map<String, String> jobEnv = new java.util.HashMap<>(env);
      jobEnv.put("AGENT_OPTIONS", "mode=full,otlp_endpoint=http://127.0.0.1:" + jaeger.otlpGrpcPort);
      Run job = run(List.of(scripts.resolve("submit.sh").toString(), master, out.toString(),
          "batches=" + BATCHES, "batch=16", "averaging=" + AVERAGING, "stats=" + stats), jobEnv,
          dir.resolve("submit.log"), JOB_S);
      assertEquals(0, job.exit, () -> "the job failed:\n" + job.tail(60));
      awaitExecutorsExit(daemons);
      assertJaegerHasBothExecutors(jaeger);
      List<Long> steps = assertExecutorsTracedTheirPartitions(out, true);
      assertEqualsDl4jFitsPerJvm(stats, steps);
      assertPhasesAreSpans(out);
      assertClocksAlignedToTheDriver(out);
      assertTheWaitsBetweenSplitsAreNamed(out);

      // A straggler: executor 0 sleeps before each of its fits (its data is slow). One averaging round (each worker
      // fits its whole share, then the driver averages), so that no step of the other worker waits at a barrier.
      // Each JVM takes a free port for its metrics and announces it to a real Prometheus through file discovery.
      Path slowOut = dir.resolve("out-slow");
      Path sd = Files.createDirectories(dir.resolve("prometheus-targets"));
      Map<String, String> slowEnv = new java.util.HashMap<>(env);
      slowEnv.put("AGENT_OPTIONS", "prometheus=127.0.0.1:0,prometheus_sd=" + sd);
      try (Prometheus prometheus = Prometheus.discovering(dir, sd, "250ms")) {
        Run slow = run(List.of(scripts.resolve("submit.sh").toString(), master, slowOut.toString(),
            "batches=" + BATCHES, "batch=16", "averaging=" + BATCHES / 2, "slow-executor=0", "slow-ms=" + SLOW_MS),
            slowEnv, dir.resolve("submit-slow.log"), JOB_S);
        assertEquals(0, slow.exit, () -> "the straggler job failed:\n" + slow.tail(60));
        awaitExecutorsExit(daemons);
        assertTheSlowExecutorIsNamedTheStraggler(slowOut);
        assertPrometheusHasBothExecutors(prometheus, slowOut);
      }

      // Gradient sharing on the same cluster: DL4J keeps no SparkTrainingStats there, the agent's steps remain.
      Map<String, String> sharedEnv = new java.util.HashMap<>(env);
      sharedEnv.put("JOB_JAVA_OPTIONS", AERON_TIMEOUT);
      Path sharedOut = dir.resolve("out-shared");
      Run shared = run(List.of(scripts.resolve("submit.sh").toString(), master, sharedOut.toString(),
          "batches=" + BATCHES, "batch=16", "master=shared", "port=" + freePort()), sharedEnv,
          dir.resolve("submit-shared.log"), JOB_S);
      assertEquals(0, shared.exit, () -> "the gradient-sharing job failed:\n" + shared.tail(60));
      awaitExecutorsExit(daemons);
      assertExecutorsTracedTheirPartitions(sharedOut, false);
      assertAttachToARunningApplication(scripts, master, env, daemons);
      Map<String, Integer> sharedDriver = spanCounts(sharedOut.resolve("driver").resolve("trace.json"));
      System.out.println("SparkClusterIT: gradient sharing, driver phase spans " + sharedDriver);
      assertEquals(1, sharedDriver.getOrDefault(
          "org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster.executeTraining", 0), "" + sharedDriver);
    } finally {
      stop(scripts, clusterDir, env, daemons);
    }
  }

  /**
   * {@code mltrace cluster} over the application's folder (the driver's and both executors'): executor 0, slowed by
   * {@link #SLOW_MS} before each fit, is the straggler in at least 90 % of the steps compared, with data as the cause.
   */
  private void assertTheSlowExecutorIsNamedTheStraggler(Path out) throws Exception {
    Path merged = dir.resolve("cluster-view");
    Path javaHome = Paths.get(System.getProperty("java.home"));
    Run cli = run(List.of(javaHome.resolve("bin").resolve("java").toString(), "-jar",
        System.getProperty("mltrace.agent.jar"), "cluster", out.toString(), "--out", merged.toString(),
        "--warmup", "2"), Map.of(), dir.resolve("cluster-cli.log"), 120);
    assertEquals(0, cli.exit, cli::output);
    System.out.println(cli.output()); // what a user sees, in the test's log
    JsonNode summary = new ObjectMapper().readTree(merged.resolve("summary.json").toFile());
    JsonNode straggler = summary.get("straggler");
    assertTrue(straggler.isObject(), () -> "a straggler named: " + cli.output() + "\n" + summary);
    assertEquals("iteration", summary.get("compared_by").asText(), "the executors are compared by DL4J's iteration");
    assertTrue(straggler.get("worker").asText().startsWith("executor 0 "), cli.output());
    assertTrue(straggler.get("share_of_steps").asDouble() >= 0.9, cli.output());
    assertEquals("data", straggler.get("cause").asText(), cli.output());
    int compared = summary.get("steps_compared").asInt();
    assertTrue(compared >= BATCHES / 2 - 4, "each executor's share of the steps is compared: " + cli.output());
    int dataCause = 0;
    for (JsonNode step : summary.get("steps")) {
      if (step.get("straggler").asText().startsWith("executor 0 ") && step.get("cause").asText().equals("data")) {
        dataCause++;
      }
    }
    assertTrue(dataCause >= 0.9 * compared, "named with data as the cause in 90 % of steps: " + cli.output());
    // By finish time on the driver's clock (each executor measured its offset): the slowed executor finishes every
    // iteration last, later and later over the split.
    assertEquals("driver", summary.get("finish_clock").asText(), cli.output());
    JsonNode last = summary.get("finished_last");
    assertTrue(last.isObject() && last.get("worker").asText().startsWith("executor 0 "), cli.output());
    assertTrue(last.get("share_of_steps").asDouble() >= 0.9, cli.output());
    assertTrue(Files.size(merged.resolve("trace.json")) > 0 && Files.exists(merged.resolve("report.html")));
  }

  /**
   * The job's phases outside the steps are spans ({@code SparkPhases}): on the driver one round per split (the
   * broadcast of the parameters and the aggregation of the results inside it), on the executors one model fetch and
   * one result per partition they trained, and together as many partitions as the driver's rounds sent out (one per
   * worker per split).
   */
  private static void assertPhasesAreSpans(Path out) throws IOException {
    String avg = "org.deeplearning4j.spark.impl.paramavg.";
    Map<String, Integer> driver = spanCounts(out.resolve("driver").resolve("trace.json"));
    int rounds = driver.getOrDefault(avg + "ParameterAveragingTrainingMaster.doIteration", 0);
    Path app = list(out).stream().filter(p -> p.getFileName().toString().startsWith("app-")).findFirst().get();
    int fetched = 0;
    int returned = 0;
    for (Path executor : list(app)) {
      Map<String, Integer> spans = spanCounts(executor.resolve("trace.json"));
      int fetches = spans.getOrDefault(avg + "ParameterAveragingTrainingWorker.getInitialModel", 0);
      int results = spans.getOrDefault(avg + "ParameterAveragingTrainingWorker.getFinalResult", 0);
      System.out.println("SparkClusterIT: " + executor.getFileName() + " phase spans " + spans);
      assertTrue(fetches > 0 && fetches == results, executor + ": a model fetch and a result per partition: "
          + spans);
      // Each carries its own task's partition: the results returned are of the partitions whose model was fetched
      // (a result closes inside the next task's first step, so it cannot take its step's partition).
      List<Long> fetchedParts = spanPartitions(executor.resolve("trace.json"),
          avg + "ParameterAveragingTrainingWorker.getInitialModel");
      List<Long> returnedParts = spanPartitions(executor.resolve("trace.json"),
          avg + "ParameterAveragingTrainingWorker.getFinalResult");
      System.out.println("SparkClusterIT: " + executor.getFileName() + " partitions fetched " + fetchedParts
          + ", returned " + returnedParts);
      assertEquals(fetchedParts, returnedParts, executor + ": each task returns the partition it fetched for");
      assertTrue(fetchedParts.stream().allMatch(p -> p == 0 || p == 1), "a split has two partitions: " + fetchedParts);
      fetched += fetches;
      returned += results;
    }
    System.out.println("SparkClusterIT: driver phase spans " + driver);
    assertEquals(BATCHES / (2 * AVERAGING), rounds, "one round per split of 2 workers x " + AVERAGING
        + " minibatches: " + driver);
    assertEquals(rounds, driver.getOrDefault(avg + "ParameterAveragingTrainingMaster.processResults", 0), "" + driver);
    assertTrue(driver.getOrDefault("org.apache.spark.api.java.JavaSparkContext.broadcast", 0) >= rounds, "" + driver);
    assertEquals(2 * rounds, fetched, "each round's partitions, one per worker, fetched the model");
    assertEquals(2 * rounds, returned);
  }

  /**
   * Each executor measured its clock's offset to the driver's ({@code ClusterClock}); on one host the executors and
   * the driver read the same monotonic clock, so the true offset is 0 and the measurement must be within 1 ms of it.
   * Then an event both sides see: every model fetch and result of an executor, put on the driver's clock by its
   * trace's base and its offset, lies inside one of the driver's rounds ({@code doIteration}), which waits for them.
   */
  private static void assertClocksAlignedToTheDriver(Path out) throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode driverClock = json.readTree(out.resolve("driver").resolve("summary.json").toFile()).get("clock");
    assertTrue(driverClock != null && driverClock.get("offset_ns").asLong() == 0, "the driver is the reference: "
        + driverClock);
    String avg = "org.deeplearning4j.spark.impl.paramavg.";
    List<long[]> rounds = spansOnTheDriversClock(out.resolve("driver"), 0,
        avg + "ParameterAveragingTrainingMaster.doIteration");
    Path app = list(out).stream().filter(p -> p.getFileName().toString().startsWith("app-")).findFirst().get();
    for (Path executor : list(app)) {
      JsonNode clock = json.readTree(executor.resolve("summary.json").toFile()).get("clock");
      assertTrue(clock != null && clock.has("offset_ns"), executor + " measured its clock: " + clock);
      System.out.println("SparkClusterIT: " + executor.getFileName() + " clock " + clock);
      assertTrue(Math.abs(clock.get("offset_ns").asLong()) <= 1_000_000, "within 1 ms of the true 0: " + clock);
      assertTrue(clock.get("error_ns").asLong() <= 1_000_000, "error bound within 1 ms: " + clock);
      long offset = clock.get("offset_ns").asLong();
      List<long[]> work = spansOnTheDriversClock(executor, offset, avg + "ParameterAveragingTrainingWorker.getInitialModel");
      work.addAll(spansOnTheDriversClock(executor, offset, avg + "ParameterAveragingTrainingWorker.getFinalResult"));
      assertTrue(!work.isEmpty(), executor + " has its phase spans");
      for (long[] w : work) {
        assertTrue(rounds.stream().anyMatch(r -> r[0] <= w[0] + 1_000_000 && w[1] <= r[1] + 1_000_000),
            executor + ": a phase at " + w[0] + "-" + w[1] + " ns falls in none of the driver's rounds " + rounds.stream()
                .map(r -> r[0] + "-" + r[1]).collect(Collectors.joining(", ")));
      }
    }
  }

  /**
   * Four splits: at each of the three later ones every executor's first step began when the executor finished its
   * share of the split before and held the wait for its next task (the others' share, the averaging, the driver's next
   * round); {@code mltrace cluster} names that time {@code split_wait} (the worker's own summary has it as idle, the
   * thread parked for a task) and leaves it out of the step times compared.
   */
  private void assertTheWaitsBetweenSplitsAreNamed(Path out) throws Exception {
    Path merged = dir.resolve("cluster-splits");
    Run cli = run(List.of(Paths.get(System.getProperty("java.home")).resolve("bin").resolve("java").toString(), "-jar",
        System.getProperty("mltrace.agent.jar"), "cluster", out.toString(), "--out", merged.toString()), Map.of(),
        dir.resolve("cluster-splits.log"), 120);
    assertEquals(0, cli.exit, cli::output);
    System.out.println(cli.output());
    JsonNode summary = new ObjectMapper().readTree(merged.resolve("summary.json").toFile());
    int executors = 0;
    for (JsonNode w : summary.get("workers")) {
      if (w.get("name").asText().startsWith("executor ")) {
        executors++;
        long waited = w.get("breakdown_ns").path("split_wait").asLong();
        assertTrue(waited > 0, "an executor waited between splits: " + cli.output());
        for (JsonNode step : summary.get("steps")) {
          assertTrue(!step.get("cause").asText().equals("split_wait"), "a wait is never a straggler's cause: " + step);
        }
      }
    }
    assertEquals(2, executors, cli.output());
  }

  /** The {@code name} spans of a JVM's trace as [start, end] on the driver's clock (its base plus its offset). */
  private static List<long[]> spansOnTheDriversClock(Path folder, long offsetNs, String name) throws IOException {
    JsonNode trace = new ObjectMapper().readTree(folder.resolve("trace.json").toFile());
    long base = trace.get("otherData").get("clock_base_ns").asLong() + offsetNs;
    List<long[]> spans = new ArrayList<>();
    for (JsonNode e : trace.get("traceEvents")) {
      if (e.path("ph").asText().equals("X") && e.path("name").asText().equals(name)) {
        long start = base + Math.round(e.get("ts").asDouble() * 1000);
        spans.add(new long[] {start, start + Math.round(e.get("dur").asDouble() * 1000)});
      }
    }
    return spans;
  }

  /** Spans by name in a {@code trace.json} (complete events only). */
  private static Map<String, Integer> spanCounts(Path trace) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonNode e : new ObjectMapper().readTree(trace.toFile()).get("traceEvents")) {
      String name = e.path("name").asText();
      if (e.path("ph").asText().equals("X") && (name.contains(".spark.") || name.contains("Accumulator"))) {
        counts.merge(name, 1, Integer::sum);
      }
    }
    return counts;
  }

  private static boolean hasTag(JsonNode span, String key) {
    for (JsonNode tag : span.path("tags")) {
      if (tag.path("key").asText().equals(key)) {
        return true;
      }
    }
    return false;
  }

  /** The {@code partition} argument of each span named {@code name}, in start order (-1 where absent). */
  private static List<Long> spanPartitions(Path trace, String name) throws IOException {
    List<long[]> found = new ArrayList<>();
    for (JsonNode e : new ObjectMapper().readTree(trace.toFile()).get("traceEvents")) {
      if (e.path("ph").asText().equals("X") && e.path("name").asText().equals(name)) {
        found.add(new long[] {e.path("ts").asLong(), e.path("args").path("partition").asLong(-1)});
      }
    }
    found.sort((a, b) -> Long.compare(a[0], b[0]));
    return found.stream().map(f -> f[1]).collect(Collectors.toList());
  }

  /** @return each executor's step count */
  private List<Long> assertExecutorsTracedTheirPartitions(Path out, boolean parameterAveraging) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Path> apps = list(out).stream().filter(p -> p.getFileName().toString().startsWith("app-"))
        .collect(Collectors.toList());
    assertEquals(1, apps.size(), "one application folder: " + list(out));
    Path app = apps.get(0);
    List<Path> executors = list(app);
    assertEquals(2, executors.size(), "one folder per executor: " + executors);

    List<Long> stepsPerExecutor = new ArrayList<>();
    List<List<Long>> iterationsPerExecutor = new ArrayList<>();
    List<List<Long>> partitionsPerExecutor = new ArrayList<>();
    List<String> pids = new ArrayList<>();
    for (Path executor : executors) {
      JsonNode summary = json.readTree(executor.resolve("summary.json").toFile());
      JsonNode worker = summary.get("worker");
      assertTrue(worker != null, executor + "/summary.json names its worker");
      assertEquals("executor", worker.get("role").asText());
      assertEquals(executor.getFileName().toString(), "executor-" + worker.get("executor_id").asText());
      assertEquals(app.getFileName().toString(), worker.get("app_id").asText());
      assertEquals("127.0.0.1", worker.get("host").asText(), "the host the worker gave its executor");
      pids.add(worker.get("pid").asText());
      long steps = summary.get("totals").get("steps").asLong();
      assertTrue(steps > 0, executor + " trained: " + steps + " steps");
      assertEquals(steps, summary.get("steps").size(), "every step is listed");
      assertTrue(summary.get("totals").get("flops").asLong() > 0, "the steps ran DL4J's GEMMs");
      assertTrue(Files.size(executor.resolve("trace.json")) > 0);
      stepsPerExecutor.add(steps);
      List<Long> iterations = new ArrayList<>();
      List<Long> partitions = new ArrayList<>();
      for (JsonNode step : summary.get("steps")) {
        assertTrue(step.has("iteration"), executor + ": DL4J's iteration count on every step: " + step);
        iterations.add(step.get("iteration").asLong());
        partitions.add(step.path("partition").asLong(-1));
      }
      iterationsPerExecutor.add(iterations);
      partitionsPerExecutor.add(partitions);
    }
    System.out.println("SparkClusterIT: iterations per executor " + iterationsPerExecutor);
    System.out.println("SparkClusterIT: partitions per executor " + partitionsPerExecutor);
    if (parameterAveraging) {
      // The driver hands the averaged network, its iteration count included, to every worker at each split: each
      // executor's k-th fit of a split runs the same global iteration, and no iteration repeats on one executor.
      // (Gradient sharing keeps the count at 0 on the workers' replicas: there mltrace cluster compares by step.)
      assertEquals(iterationsPerExecutor.get(0), iterationsPerExecutor.get(1), "the same iterations on both executors");
      // Each split is an RDD of two partitions, one per worker: the task's partition (Spark's TaskContext) is on
      // every step, and at each iteration the two executors fitted different partitions of the split.
      for (int i = 0; i < partitionsPerExecutor.get(0).size(); i++) {
        long a = partitionsPerExecutor.get(0).get(i);
        long b = partitionsPerExecutor.get(1).get(i);
        assertTrue(a >= 0 && b >= 0 && a != b && a < 2 && b < 2, "partitions " + partitionsPerExecutor);
      }
      for (List<Long> its : iterationsPerExecutor) {
        for (int i = 1; i < its.size(); i++) {
          assertTrue(its.get(i) > its.get(i - 1), "iterations rise step by step: " + its);
        }
      }
    }
    assertNotEquals(pids.get(0), pids.get(1), "two executor JVMs");
    assertEquals(BATCHES, stepsPerExecutor.stream().mapToLong(Long::longValue).sum(),
        "the executors' steps are the job's minibatches, each fitted once");
    JsonNode driver = json.readTree(out.resolve("driver").resolve("summary.json").toFile()).get("worker");
    assertEquals("driver", driver.get("role").asText());
    return stepsPerExecutor;
  }

  /** DL4J's own record: one fit event per minibatch, labelled with the JVM that ran it. */
  private static void assertEqualsDl4jFitsPerJvm(Path stats, List<Long> stepsPerExecutor) throws IOException {
    Map<String, Long> fitsPerJvm = new TreeMap<>();
    for (String line : Files.readAllLines(stats, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        fitsPerJvm.merge(line.split(" ")[1], 1L, Long::sum);
      }
    }
    assertEquals(2, fitsPerJvm.size(), "DL4J saw two worker JVMs: " + fitsPerJvm);
    assertEquals(fitsPerJvm.values().stream().sorted().collect(Collectors.toList()),
        stepsPerExecutor.stream().sorted().collect(Collectors.toList()),
        "each executor's steps are DL4J's fits in one worker JVM");
  }

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * {@code mltrace attach --app <id>} on a job started without the agent: one command attaches to both executors of
   * the running application, and each then writes its own folder with the steps it trained after the attach. (Here
   * the attach lands as soon as both executors exist, which was before their first fit in the runs so far: every fit
   * was traced. Attaching in the middle of training is {@code AttachIT}'s, on single JVMs.)
   */
  private void assertAttachToARunningApplication(Path scripts, String master, Map<String, String> env,
      List<Long> daemons) throws Exception {
    Map<String, String> plain = new java.util.HashMap<>(env);
    plain.put("NO_AGENT", "1");
    Path log = dir.resolve("submit-attach.log");
    // 40 rounds of 2 x 30 fits: long enough to find the executors and attach while the application runs.
    ProcessBuilder submit = new ProcessBuilder(scripts.resolve("submit.sh").toString(), master,
        dir.resolve("out-plain").toString(), "batches=" + ATTACH_BATCHES, "batch=16", "averaging=30",
        "epochs=" + ATTACH_EPOCHS).redirectErrorStream(true).redirectOutput(log.toFile());
    submit.environment().putAll(plain);
    Process job = submit.start();
    try {
      String app = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (app == null && System.nanoTime() < deadline) {
        app = runningApplication(2);
        Thread.sleep(200);
      }
      assertTrue(app != null, "two executors of one application appeared:\n" + new Run(-1, log).tail(40));
      Path attached = dir.resolve("attached");
      List<String> cli = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
          System.getProperty("mltrace.agent.jar"), "attach", "--app", app, "output=" + attached, "report_interval=0");
      Run attach = run(cli, Map.of(), dir.resolve("attach.log"), 120);
      assertEquals(0, attach.exit, () -> "attach failed:\n" + attach.tail(20));
      String appId = app;
      assertTrue(attach.lines().stream().anyMatch(l -> l.contains("application " + appId
          + ": 2 executor JVM(s) found, all attached")), () -> attach.tail(20));
      assertTrue(job.waitFor(JOB_S, TimeUnit.SECONDS), "the job ended");
      assertEquals(0, job.exitValue(), () -> "the job failed:\n" + new Run(-1, log).tail(60));
      awaitExecutorsExit(daemons);
      long total = 0;
      for (Path executor : list(attached.resolve(app))) {
        long steps = JSON.readTree(executor.resolve("summary.json").toFile()).get("totals").get("steps").asLong();
        System.out.println("SparkClusterIT: attached to " + executor.getFileName() + ": " + steps + " steps");
        assertTrue(steps > 0, executor + " traced after the attach");
        total += steps;
      }
      assertEquals(2, list(attached.resolve(app)).size(), "a folder per executor");
      assertTrue(total <= (long) ATTACH_BATCHES * ATTACH_EPOCHS, "no more steps than fits: " + total);
    } finally {
      job.descendants().forEach(ProcessHandle::destroyForcibly);
      job.destroyForcibly();
    }
  }

  static final int ATTACH_BATCHES = 120;
  static final int ATTACH_EPOCHS = 20;

  /** The application id that {@code executors} live executor JVMs carry on their command lines, or null. */
  private static String runningApplication(int executors) {
    Map<String, Integer> byApp = new TreeMap<>();
    ProcessHandle.allProcesses().forEach(p -> {
      String[] args = p.info().arguments().orElse(new String[0]);
      boolean executor = false;
      String app = null;
      for (int i = 0; i < args.length; i++) {
        executor |= args[i].endsWith("CoarseGrainedExecutorBackend");
        if (args[i].equals("--app-id") && i + 1 < args.length) {
          app = args[i + 1];
        }
      }
      if (executor && app != null && p.isAlive()) {
        byApp.merge(app, 1, Integer::sum);
      }
    });
    return byApp.entrySet().stream().filter(e -> e.getValue() >= executors).map(Map.Entry::getKey).findFirst()
        .orElse(null);
  }

  /**
   * Prometheus scraped both executors while they trained, each under its {@code worker} label and the application's
   * id, and never more steps than each executor's own summary counted.
   */
  private void assertPrometheusHasBothExecutors(Prometheus prometheus, Path out) throws Exception {
    Map<String, Double> steps = new TreeMap<>();
    String app = null;
    JsonNode result = prometheus.query(
        "max by (worker, app_id) (max_over_time(ml_steps_total{role=\"executor\"}[10m]))");
    for (JsonNode r : result) {
      steps.put(r.get("metric").path("worker").asText(), Double.parseDouble(r.get("value").get(1).asText()));
      app = r.get("metric").path("app_id").asText();
    }
    assertEquals(List.of("0", "1"), new ArrayList<>(steps.keySet()), () -> "both executors' series in Prometheus: "
        + result + "\n" + prometheus.log());
    for (Map.Entry<String, Double> e : steps.entrySet()) {
      long counted = JSON.readTree(out.resolve(app).resolve("executor-" + e.getKey()).resolve("summary.json")
          .toFile()).get("totals").get("steps").asLong();
      System.out.println("SparkClusterIT: Prometheus scraped executor " + e.getKey() + " at " + e.getValue()
          + " steps of the " + counted + " its summary counted");
      assertTrue(e.getValue() > 0 && e.getValue() <= counted, "executor " + e.getKey() + ": " + e.getValue()
          + " steps scraped of " + counted);
    }
  }

  /** The executors' spans reached one Jaeger, each under a resource that names its executor and application. */
  private static void assertJaegerHasBothExecutors(Jaeger jaeger) throws Exception {
    Map<String, String> executorsSeen = new TreeMap<>();
    java.util.Set<String> withoutPartition = new java.util.TreeSet<>();
    int tracesWithBoth = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    do {
      tracesWithBoth = 0;
      withoutPartition.clear();
      for (JsonNode trace : jaeger.traces("mltrace", 1)) {
        java.util.Set<String> inThisTrace = new java.util.TreeSet<>();
        for (JsonNode process : trace.path("processes")) {
          Map<String, String> tags = new TreeMap<>();
          for (JsonNode tag : process.path("tags")) {
            tags.put(tag.path("key").asText(), tag.path("value").asText());
          }
          if ("executor".equals(tags.get("spark.role"))) {
            executorsSeen.put(tags.get("spark.executor.id"), tags.get("spark.app.id") + " " + tags.get("host.name")
                + " " + tags.get("process.pid"));
            inThisTrace.add(tags.get("spark.executor.id"));
          }
        }
        long iterationSpans = 0;
        for (JsonNode span : trace.path("spans")) {
          if (span.path("operationName").asText().equals("iteration") && span.path("references").isEmpty()) {
            iterationSpans++;
          } else if (inThisTrace.size() == 2 && !hasTag(span, "spark.partition.id")) {
            // Every span an executor exported for an iteration, but the iteration's own (it spans both partitions).
            withoutPartition.add(span.path("operationName").asText());
          }
        }
        // Both executors' steps under the iteration's own span (exported by the executor that fitted partition 0).
        if (inThisTrace.size() == 2 && iterationSpans == 1) {
          tracesWithBoth++;
        }
      }
      // Every step is detailed (mode=full): each of the 12 iterations is one trace holding both executors' steps.
      if (executorsSeen.size() == 2 && tracesWithBoth >= BATCHES / 2) {
        break;
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    assertEquals(List.of("0", "1"), new ArrayList<>(executorsSeen.keySet()), "both executors' resources in Jaeger: "
        + executorsSeen);
    for (String v : executorsSeen.values()) {
      assertTrue(v.startsWith("app-") && v.contains(" 127.0.0.1 "), v);
    }
    System.out.println("SparkClusterIT: " + tracesWithBoth + " Jaeger traces hold both executors' spans");
    assertEquals(BATCHES / 2, tracesWithBoth, "one trace per iteration, its own span the root, with both executors'"
        + " steps of it");
    assertEquals(java.util.Set.of(), withoutPartition, "every executor span of an iteration carries its task's partition");
  }

  /**
   * An executor's files are final when its JVM has exited (the agent writes them at exit): the workers stop their
   * executors once the driver has gone, a moment after spark-submit returns.
   */
  private static void awaitExecutorsExit(List<Long> daemons) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXECUTOR_EXIT_S);
    List<ProcessHandle> left;
    do {
      left = daemons.stream().map(ProcessHandle::of).flatMap(java.util.Optional::stream)
          .flatMap(ProcessHandle::children).filter(ProcessHandle::isAlive).collect(Collectors.toList());
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    fail("executors still running " + EXECUTOR_EXIT_S + " s after the job ended: " + left);
  }

  /** The cluster's stop script, then, whatever it did, every daemon and executor still alive is killed by pid. */
  private void stop(Path scripts, Path clusterDir, Map<String, String> env, List<Long> daemons) throws Exception {
    List<ProcessHandle> all = new ArrayList<>();
    for (long pid : daemons) {
      ProcessHandle.of(pid).ifPresent(h -> {
        all.add(h);
        h.descendants().forEach(all::add); // the executors are the workers' children
      });
    }
    try {
      run(List.of(scripts.resolve("cluster.sh").toString(), "stop", clusterDir.toString()), env,
          dir.resolve("cluster-stop.log"), STOP_S);
    } finally {
      for (ProcessHandle h : all) {
        h.destroyForcibly();
      }
      for (ProcessHandle h : all) {
        h.onExit().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static List<Long> pids(Path clusterDir) throws IOException {
    List<Long> pids = new ArrayList<>();
    for (Path f : list(clusterDir)) {
      if (f.getFileName().toString().endsWith(".pid")) {
        pids.add(Long.parseLong(Files.readString(f).trim()));
      }
    }
    return pids;
  }

  private static List<Path> list(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(folder)) {
      return s.sorted().collect(Collectors.toList());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Runs a command with its output in a file; past the limit it and its children are killed, and that fails. */
  private static Run run(List<String> command, Map<String, String> env, Path log, long limitS) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(limitS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      fail(command.get(0) + " " + command.get(1) + " did not finish within " + limitS + " s:\n" + new Run(-1, log)
          .tail(60));
    }
    return new Run(p.exitValue(), log);
  }

  private static final class Run {
    final int exit;
    final Path log;

    Run(int exit, Path log) {
      this.exit = exit;
      this.log = log;
    }

    List<String> lines() {
      try {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return List.of("(no output: " + e + ")");
      }
    }

    String output() {
      return String.join("\n", lines());
    }

    String lastLine() {
      List<String> l = lines();
      return l.isEmpty() ? "" : l.get(l.size() - 1).trim();
    }

    String tail(int n) {
      List<String> l = lines();
      return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
  }
}
