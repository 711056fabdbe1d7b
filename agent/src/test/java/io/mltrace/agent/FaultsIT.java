package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The faults a production job meets around the agent: a slow or failing OTLP backend, the Prometheus port taken,
 * JFR off, the output folder unusable, the disk full while writing. For each the job exits 0 with the same final
 * loss as without the agent, what was lost is counted and said once, the other outputs are whole, and the heap
 * stays within a small {@code -Xmx} (memory bounded).
 */
class FaultsIT {
  private static final String MLP = "io.mltrace.examples.djl.MlpTraining";
  private static final int STEPS = 80;
  private static final List<String> SMALL_HEAP = List.of("-Xmx256m");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static String lossWithoutAgent;

  @BeforeAll
  static void runWithoutAgent() throws Exception {
    try (TrainingProcess plain = JobRun.start(null, SMALL_HEAP, Map.of(), "", MLP, "--steps", String.valueOf(STEPS))) {
      assertEquals(0, plain.await(180), plain::toString);
      lossWithoutAgent = plain.finalLoss();
    }
  }

  @Test
  void aSlowBackendForTracesAndAFailingOneForMetricsNeverHoldTheJob(@TempDir Path dir) throws Exception {
    try (LoopbackHttp slow = new LoopbackHttp(2000, 200);
        LoopbackHttp failing = new LoopbackHttp(0, 503);
        TrainingProcess job = JobRun.start("output=" + dir + ",sample_every=1,report_interval=1,console=summary"
                + ",otlp_queue_spans=400", SMALL_HEAP,
            Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", slow.endpoint() + "/v1/traces",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", failing.endpoint() + "/v1/metrics",
                "OTEL_METRIC_EXPORT_INTERVAL", "500", "OTEL_EXPORTER_OTLP_TIMEOUT", "5000"),
            "", MLP, "--steps", String.valueOf(STEPS))) {
      assertSameResult(job);
      JsonNode summary = summary(dir);
      assertEquals(STEPS, summary.get("totals").get("steps").asInt(), "every step accounted");
      // A request takes 2 s: a training thread that waited for one would take seconds per step.
      assertTrue(medianStepMillis(summary) < 1000, "median step " + medianStepMillis(summary) + " ms");
      Matcher m = Pattern.compile("OTLP traces to \\S+: (\\d+) spans queued, (\\d+) exported, (\\d+) dropped "
          + "\\(queue full (\\d+), export failed (\\d+), left at exit (\\d+)\\), queue high-water (\\d+) of (\\d+)")
          .matcher(job.stderr());
      assertTrue(m.find(), job::toString);
      long queued = Long.parseLong(m.group(1));
      long exported = Long.parseLong(m.group(2));
      long dropped = Long.parseLong(m.group(3));
      assertTrue(dropped > 0, "a 2 s backend cannot take every span: " + m.group());
      assertEquals(dropped, Long.parseLong(m.group(4)) + Long.parseLong(m.group(5)) + Long.parseLong(m.group(6)));
      assertTrue(exported + dropped <= queued + Long.parseLong(m.group(4)), m.group());
      assertTrue(Long.parseLong(m.group(7)) <= 400, "the queue stayed within its bound: " + m.group());
      assertTrue(slow.requests.get() > 0 && failing.requests.get() > 0, "both backends were tried");
      long warnings = job.stderr().lines().filter(l -> l.contains("OTLP spans dropped")).count();
      assertTrue(warnings >= 1 && warnings <= 2, "said once (at most once a minute): " + job.stderr());
      assertTrue(job.stderr().lines().filter(l -> l.contains("metrics")).count() <= 2,
          "a failing metrics backend is not a stream of lines: " + job.stderr());
      assertTraceWhole(dir, STEPS);
      System.out.printf("fault otlp-slow-and-503: median step %.3f ms, spans queued %d exported %d dropped %d%n",
          medianStepMillis(summary), queued, exported, dropped);
    }
  }

  @Test
  void aTakenPrometheusPortAndNoJfrLeaveTheFilesWhole(@TempDir Path dir) throws Exception {
    // A runtime without the jdk.jfr module, as a jlinked one. (-XX:-FlightRecorder is no such case on JDK 17:
    // FlightRecorder.isAvailable() turns false, yet recordings and streams still start.)
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        TrainingProcess job = JobRun.start("output=" + dir + ",sample_every=5,console=summary,prometheus="
                + taken.getLocalPort() + ",jfr=" + dir.resolve("run.jfr"), List.of("-Xmx256m",
                "--limit-modules", "java.se,jdk.unsupported"), Map.of(), "", MLP, "--steps", String.valueOf(STEPS))) {
      assertSameResult(job);
      List<String> err = job.stderr().lines().filter(l -> l.startsWith("mltrace")).toList();
      assertEquals(1, err.stream().filter(l -> l.contains("Prometheus endpoint 127.0.0.1:" + taken.getLocalPort()
          + " not started")).count(), job::toString);
      assertEquals(1, err.stream().filter(l -> l.contains("JVM events unavailable")).count(), job::toString);
      assertEquals(1, err.stream().filter(l -> l.contains("has no JFR (module jdk.jfr)")).count(), job::toString);
      assertTrue(err.stream().noneMatch(l -> l.contains("exporter")), "no exporter failed: " + err);
      JsonNode summary = summary(dir);
      assertEquals(STEPS, summary.get("totals").get("steps").asInt());
      assertFalse(summary.get("measured_categories").toString().contains("\"gc\""),
          "without JFR the summary does not claim to measure gc: " + summary.get("measured_categories"));
      assertEquals(0, summary.get("exporter_errors").asInt());
      assertTraceWhole(dir, STEPS / 5);
      assertTrue(Files.size(dir.resolve("report.html")) > 0);
      assertFalse(Files.exists(dir.resolve("run.jfr")));
      System.out.printf("fault prometheus-taken+no-jfr: median step %.3f ms%n", medianStepMillis(summary));
    }
  }

  @Test
  void anOutputFolderThatCannotBeCreatedCostsOnlyTheFiles(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
    Path out = file.resolve("out"); // a folder below a regular file: no user, root included, can create it
    try (TrainingProcess job = JobRun.start("output=" + out + ",report_interval=1,console=summary", SMALL_HEAP,
        Map.of(), "",
        MLP, "--steps", String.valueOf(STEPS))) {
      assertSameResult(job);
      assertTrue(job.stdout().contains("mltrace summary: " + STEPS + " steps"), "the console summary is whole: "
          + job);
      for (String name : List.of("summary.json", "trace.json", "report.html")) {
        long lines = job.stderr().lines().filter(l -> l.startsWith("mltrace: cannot write")
            && l.contains(name)).count();
        assertEquals(1, lines, name + " said once, not at every report interval: " + job.stderr());
      }
    }
  }

  @Test
  void aFullDiskKeepsTheLastWholeFilesAndTheJobRuns(@TempDir Path dir) throws Exception {
    // RLIMIT_FSIZE: the kernel refuses (EFBIG) every write past 128 KiB in any file of the job, as a full disk
    // refuses it (ENOSPC); the JVM ignores the signal that comes with it. A tmpfs needs root to mount. JVM events
    // off: JFR's repository is a file of the job too, HotSpot aborts the JVM when JFR cannot write it, and the
    // agent's guard watches free space, which a file-size limit does not lower (see the next test). The limit must
    // leave room for the agent's own bootstrap jar (about 70 KB): a smaller one disables the agent at start.
    try (TrainingProcess job = JobRun.start("output=" + dir + ",sample_every=1,report_interval=1,console=summary,"
        + "html_report=false,jvm_events=off", SMALL_HEAP, Map.of(), "ulimit -f 256", MLP, "--steps",
        String.valueOf(STEPS))) {
      assertSameResult(job);
      assertTrue(job.stdout().contains("mltrace summary: " + STEPS + " steps"), job::toString);
      long traceLines = job.stderr().lines().filter(l -> l.startsWith("mltrace: cannot write")
          && l.contains("trace.json")).count();
      assertEquals(1, traceLines, "the full disk is said once: " + job.stderr());
      if (Files.exists(dir.resolve("trace.json"))) {
        JSON.readTree(dir.resolve("trace.json").toFile()); // an earlier, smaller trace: still whole
      }
      JsonNode summary = summary(dir); // small enough for the cap here: written whole
      assertEquals(STEPS, summary.get("totals").get("steps").asInt());
      try (var files = Files.list(dir)) {
        List<String> left = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        assertTrue(left.isEmpty(), "no partial temporary file left: " + left);
      }
      System.out.printf("fault disk-full: median step %.3f ms, trace.json %s%n", medianStepMillis(summary),
          Files.exists(dir.resolve("trace.json")) ? Files.size(dir.resolve("trace.json")) + " bytes (earlier)"
              : "never written");
    }
  }

  /**
   * The disk of JFR's repository below the agent's floor (here a floor above any disk's size): the agent stops its
   * JVM events with one line before JFR could fill the disk and abort the JVM; the steps go on.
   */
  @Test
  void aDiskNearlyFullStopsJvmEventsNotTheJob(@TempDir Path dir) throws Exception {
    try (TrainingProcess job = JobRun.start("output=" + dir + ",console=summary,jvm_events_min_free_mb=2000000000",
        SMALL_HEAP, Map.of(), "", MLP, "--steps", String.valueOf(STEPS))) {
      assertSameResult(job);
      List<String> lines = job.stderr().lines().filter(l -> l.startsWith("mltrace: JVM events stopped")).toList();
      assertEquals(1, lines.size(), job::toString);
      assertTrue(lines.get(0).contains("MB free on the disk of JFR's repository"), lines.get(0));
      assertEquals(STEPS, summary(dir).get("totals").get("steps").asInt(), "every step recorded");
    }
  }

  /** Bad input through all three channels at once: each bad entry one line, the rest of the agent working. */
  @Test
  void aMalformedAgentStringStillRunsTheJobToTheSameResult(@TempDir Path dir) throws Exception {
    String agentArgs = "output=" + dir + ",,mode=loud,sample_every=-3,=x,colour,report_interval=1e3,"
        + "spans=###,prometheus=99999,peak_gflops=NaN,otlp_protocol=carrier-pigeon,console=summary";
    try (TrainingProcess job = JobRun.start(agentArgs, List.of("-Xmx256m", "-Dmltrace.ring_capacity=lots",
        "-Dmltrace.tail_percentile=100"), Map.of("MLTRACE_OVERHEAD_BUDGET", "5%\nmltrace: forged line",
        "MLTRACE_SAMPLE_INTERVAL", "soon"), "", MLP, "--steps", String.valueOf(STEPS))) {
      assertSameResult(job);
      List<String> problems = job.stderr().lines().filter(l -> l.startsWith("mltrace: option ")
          || l.startsWith("mltrace: unknown option ")).toList();
      for (String key : List.of("mode", "sample_every", "report_interval", "spans", "prometheus", "peak_gflops",
          "otlp_protocol", "ring_capacity", "tail_percentile", "overhead_budget", "sample_interval")) {
        assertEquals(1, problems.stream().filter(l -> l.startsWith("mltrace: option " + key + "='")).count(),
            key + " named once: " + problems);
      }
      assertEquals(2, problems.stream().filter(l -> l.startsWith("mltrace: unknown option ")).count(),
          "'' and 'colour': " + problems);
      assertTrue(job.stderr().lines().noneMatch(l -> l.startsWith("mltrace: forged line")),
          "a line break in a value cannot forge a line: " + job.stderr());
      assertFalse(job.stderr().contains("agent disabled"), job::toString);
      JsonNode summary = summary(dir);
      assertEquals(STEPS, summary.get("totals").get("steps").asInt(), "the agent ran on its defaults");
    }
  }

  /**
   * CUPTI refuses an enable after three sampled steps (the fake libcupti, told by its environment): GPU tracing
   * stops for good with one line, the GPU records of the steps before it stay, and every step is still recorded.
   */
  @Test
  void cuptiFailingMidRunStopsOnlyGpuTracingAndSaysSoOnce(@TempDir Path dir) throws Exception {
    int steps = 40;
    ChildJvm.EXTRA_CLASSPATH.set(ChildJvm.gpuTestClasspath()); // the fake training job and FakeCupti
    try (TrainingProcess job = JobRun.start("output=" + dir + ",report_interval=0,sample_every=2,console=summary"
        + ",html_report=false,cupti_path=" + GpuAgentIT.FAKE_CUPTI, List.of("-Xmx256m",
        "-Dmltrace.test.fakeCupti=" + GpuAgentIT.FAKE_CUPTI), Map.of("FAKE_CUPTI_FAIL_ENABLE_AFTER", "3"), "",
        FakeGpuTraining.class.getName(), String.valueOf(steps))) {
      assertEquals(0, job.await(180), job::toString);
      assertTrue(job.stdout().contains("fake gpu training: " + steps + " steps"), job::toString);
      List<String> gpuLines = job.stderr().lines().filter(l -> l.contains("GPU tracing unavailable")).toList();
      assertEquals(1, gpuLines.size(), job::toString);
      assertTrue(gpuLines.get(0).contains("cuptiActivityEnable(kind 10) failed"), gpuLines.get(0));
      JsonNode summary = summary(dir);
      assertEquals(steps, summary.get("totals").get("steps").asInt(), "every step recorded");
      int withGpu = 0;
      for (JsonNode s : summary.get("steps")) {
        withGpu += s.has("gpu_idle") ? 1 : 0;
      }
      assertTrue(withGpu >= 1 && withGpu <= 3, "the GPU records of the sampled steps before the failure: " + withGpu);
      System.out.printf("fault cupti-enable-fails-mid-run: %d steps with GPU records kept, median step %.3f ms%n",
          withGpu, medianStepMillis(summary));
    } finally {
      ChildJvm.EXTRA_CLASSPATH.remove();
    }
  }

  private static void assertSameResult(TrainingProcess job) throws Exception {
    assertEquals(0, job.await(180), job::toString);
    assertEquals(lossWithoutAgent, job.finalLoss(), "the same training result as without the agent");
  }

  private static JsonNode summary(Path dir) throws IOException {
    return JSON.readTree(dir.resolve("summary.json").toFile());
  }

  static double medianStepMillis(JsonNode summary) {
    double[] ms = new double[summary.get("steps").size()];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = summary.get("steps").get(i).get("wall_ns").asLong() / 1e6;
    }
    Arrays.sort(ms);
    return ms.length == 0 ? Double.NaN : ms[ms.length / 2];
  }

  /** trace.json parses and holds {@code minSteps} step slices or more. */
  private static void assertTraceWhole(Path dir, int minSteps) throws IOException {
    Path trace = dir.resolve("trace.json");
    JsonNode t = JSON.readTree(trace.toFile());
    long steps = 0;
    for (JsonNode e : t.get("traceEvents")) {
      if ("step".equals(e.path("cat").asText())) {
        steps++;
      }
    }
    assertTrue(steps >= minSteps, "trace.json holds its steps: " + steps);
  }
}
