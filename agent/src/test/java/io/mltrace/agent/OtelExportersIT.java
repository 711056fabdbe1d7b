package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.exporters.testing.Jaeger;
import io.mltrace.exporters.testing.LocalBackend;
import io.mltrace.exporters.testing.TcpForwarder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded agent in a child JVM training the DJL example, exporting to a real Jaeger over OTLP: a 20-step run
 * with every output, and a run whose OTLP endpoint is down for its first part.
 */
class OtelExportersIT {
  static final String MLP = "io.mltrace.examples.djl.MlpTraining";
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern REPORT = Pattern.compile("mltrace: OTLP traces to \\S+: (\\d+) spans queued, (\\d+) exported, "
      + "(\\d+) dropped \\(queue full (\\d+), export failed (\\d+), left at exit (\\d+)\\), queue high-water (\\d+) of "
      + "(\\d+) spans");

  @TempDir
  Path dir;

  @Test
  void twentyDjlStepsGoToJaegerAndEveryFileIsWrittenSmall() throws Exception {
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger")), 0)) {
      Path out = dir.resolve("out");
      Process p = start("output=" + out + ",report_interval=0,console=summary,sample_every=1"
          + ",otlp_endpoint=http://127.0.0.1:"
          + jaeger.otlpGrpcPort, Map.of("OTEL_SERVICE_NAME", "mlp-20", "OTEL_RESOURCE_ATTRIBUTES", "run=it"), 20);
      Child run = Child.await(p, dir);
      assertEquals(0, run.exit, run::toString);
      assertTrue(run.stdout.contains("final loss"), run::toString);

      long traceBytes = Files.size(out.resolve("trace.json"));
      System.out.println("mltrace IT: trace.json of 20 DJL steps: " + traceBytes + " bytes");
      assertTrue(traceBytes < 20L * 1024 * 1024, "trace.json " + traceBytes + " bytes");
      String html = Files.readString(out.resolve("report.html"));
      assertTrue(html.contains("\"steps\": 20,") || html.contains("\"steps\": 20, "), "report.html has the run");

      Matcher m = REPORT.matcher(run.stderr);
      assertTrue(m.find(), run::toString);
      long produced = stepSpansInTrace(out.resolve("trace.json"));
      assertEquals(produced, Long.parseLong(m.group(2)), "every span exported: " + m.group());
      assertEquals(0, Long.parseLong(m.group(3)), m.group());

      JsonNode traces = jaeger.traces("mlp-20", 20);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (spansIn(traces) < produced && System.nanoTime() < deadline) { // the trees outside steps may come last
        Thread.sleep(200);
        traces = jaeger.traces("mlp-20", 20);
      }
      Set<Long> numbers = new HashSet<>();
      long spans = 0;
      int stepTraces = 0;
      for (JsonNode trace : traces) {
        spans += trace.get("spans").size();
        for (JsonNode span : trace.get("spans")) {
          Map<String, JsonNode> tags = tags(span);
          if (span.get("references").isEmpty() && !"step".equals(span.get("operationName").asText())) {
            // A tree outside the steps (the trainer's listeners once before the loop): a trace of its own.
            assertTrue(tags.containsKey("ml.span.category"), span::toString);
          } else if (span.get("references").isEmpty()) {
            stepTraces++;
            assertEquals("djl", tags.get("ml.framework").asText());
            numbers.add(tags.get("ml.step.number").asLong());
          } else if ("linear".equals(span.get("operationName").asText())) {
            long flops = tags.get("ml.op.flops").asLong();
            assertTrue(flops == 2L * 64 * 128 * 784 || flops == 2L * 64 * 10 * 128, "linear FLOPs " + flops);
          }
        }
      }
      assertEquals(20, stepTraces, jaeger.process::log);
      assertEquals(produced, spans, "Jaeger holds every span the agent produced");
      for (long i = 1; i <= 20; i++) {
        assertTrue(numbers.contains(i), "step " + i + " in " + numbers);
      }
    }
  }

  /**
   * Spans outside steps reach Jaeger too: each DJL prediction (6 single calls and 2 batches) is one trace whose root
   * is {@code predict} with its pre-processing, forward and post-processing under it, as in {@code trace.json}.
   */
  @Test
  void eachPredictionIsOneTraceInJaeger() throws Exception {
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger-inference")), 0)) {
      Path out = dir.resolve("out-inference");
      ChildJvm.EXTRA_ENV.set(Map.of("OTEL_SERVICE_NAME", "mlp-inference"));
      ChildJvm run;
      try {
        run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=summary,otlp_endpoint="
            + "http://127.0.0.1:" + jaeger.otlpGrpcPort, List.of(), DjlInferenceIT.INFERENCE, "--requests", "6",
            "--batch", "3");
      } finally {
        ChildJvm.EXTRA_ENV.remove();
      }
      assertEquals(0, run.exitCode, run::toString);
      JsonNode traces = jaeger.traces("mlp-inference", 8);
      assertEquals(8, traces.size(), "6 predict calls and 2 batchPredict calls: " + run);
      for (JsonNode trace : traces) {
        Map<String, String> parentOf = new java.util.HashMap<>();
        Map<String, String> nameOf = new java.util.HashMap<>();
        for (JsonNode span : trace.get("spans")) {
          nameOf.put(span.get("spanID").asText(), span.get("operationName").asText());
        }
        String root = null;
        for (JsonNode span : trace.get("spans")) {
          JsonNode refs = span.get("references");
          if (refs.isEmpty()) {
            assertTrue(root == null, "one root per trace");
            root = span.get("operationName").asText();
          } else {
            parentOf.putIfAbsent(span.get("operationName").asText(), nameOf.get(refs.get(0).get("spanID").asText()));
          }
        }
        assertEquals("predict", root, trace::toString);
        assertEquals("predict", parentOf.get("preprocess"), parentOf::toString);
        assertEquals("predict", parentOf.get("forward"), parentOf::toString);
        assertEquals("predict", parentOf.get("postprocess"), parentOf::toString);
        assertEquals("forward", parentOf.get("SequentialBlock"), parentOf::toString);
      }
    }
  }

  @Test
  void anOtlpOutageDropsExactlyTheCountedSpansAndWarnsOnce() throws Exception {
    int grpcPort = LocalBackend.freePortBelowEphemeralRange(); // opened later: see there
    Path out = dir.resolve("out");
    // Jaeger starts first, on a port of its own; the job's endpoint is a forwarder that starts listening after 100
    // steps, within milliseconds. Starting Jaeger itself then (seconds on a busy 2-core machine) let clean-clone CI
    // runs see the job end before it listened, with 1,500 and with 3,000 steps.
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger")), 0)) {
      outage(jaeger, grpcPort, out, 3000);
    }
  }

  private void outage(Jaeger jaeger, int grpcPort, Path out, int steps) throws Exception {
    Process p = start("output=" + out + ",report_interval=1,console=summary,sample_every=1"
        + ",otlp_queue_spans=256,otlp_endpoint="
        + "http://127.0.0.1:" + grpcPort, Map.of("OTEL_SERVICE_NAME", "mlp-outage"), steps);
    TcpForwarder endpoint = null;
    try {
      // The endpoint stays down until the job has closed 100 steps, then comes up while it trains on.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (stepsInSummary(out) < 100) {
        assertTrue(p.isAlive() && System.nanoTime() < deadline, "the job trains while the endpoint is down");
        Thread.sleep(200);
      }
      endpoint = TcpForwarder.open(grpcPort, jaeger.otlpGrpcPort);
      long stepsWhenUp = stepsInSummary(out);
      Child run = Child.await(p, dir);
      assertEquals(0, run.exit, run::toString);
      assertTrue(run.stdout.contains("after " + steps + " steps"), run::toString);
      assertTrue(stepsWhenUp < steps, "the endpoint came up during training (at step " + stepsWhenUp + ")");

      Matcher m = REPORT.matcher(run.stderr);
      assertTrue(m.find(), run::toString);
      long queued = Long.parseLong(m.group(1));
      long exported = Long.parseLong(m.group(2));
      long dropped = Long.parseLong(m.group(3));
      long produced = stepSpansInTrace(out.resolve("trace.json"));
      assertTrue(dropped > 0, "the outage dropped spans: " + m.group());
      assertEquals(produced, exported + dropped, "every span is exported or counted as dropped: " + m.group());
      assertEquals(produced, queued + Long.parseLong(m.group(4)), m.group());
      assertTrue(Long.parseLong(m.group(7)) <= 256, "queue stayed within its bound: " + m.group());

      JsonNode traces = jaeger.traces("mlp-outage", 1);
      long inJaeger = 0;
      for (JsonNode trace : traces) {
        inJaeger += trace.get("spans").size();
      }
      long deadlineJ = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (inJaeger < exported && System.nanoTime() < deadlineJ) {
        Thread.sleep(300);
        inJaeger = 0;
        for (JsonNode trace : jaeger.traces("mlp-outage", 1)) {
          inJaeger += trace.get("spans").size();
        }
      }
      assertEquals(exported, inJaeger, "Jaeger received exactly the spans counted as exported");
      long warnings = run.stderr.lines().filter(l -> l.startsWith("mltrace: OTLP spans dropped")).count();
      assertEquals(1, warnings, "one warning for an outage shorter than a minute:\n" + run.stderr);
      assertTrue(run.stderr.lines().noneMatch(l -> l.contains("io.mltrace.shaded.io.opentelemetry")),
          "the SDK's own per-batch failure logs stay off:\n" + run.stderr);
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
      if (endpoint != null) {
        endpoint.close();
      }
    }
  }

  private static long stepsInSummary(Path out) {
    try {
      return JSON.readTree(out.resolve("summary.json").toFile()).get("totals").get("steps").asLong();
    } catch (IOException | NullPointerException notYet) {
      return 0;
    }
  }

  /**
   * The spans the OTLP sink sends, as trace.json holds them: every span of a sampled step (the step event and the
   * spans inside it), and every span outside steps in a tree whose root (a span without a parent) is not a tensor
   * op: parameter initialization, and the spans of a step that never closed, stay in trace.json.
   */
  private static long stepSpansInTrace(Path trace) throws IOException {
    JsonNode root = JSON.readTree(trace.toFile());
    assertTrue(root.get("otherData").get("mltrace_truncated") == null, "trace.json holds every span");
    long n = 0;
    Map<Long, JsonNode> outside = new java.util.HashMap<>();
    for (JsonNode e : root.get("traceEvents")) {
      if (!"X".equals(e.get("ph").asText())) {
        continue;
      }
      if (e.get("cat").asText().equals("step") || e.get("args").has("step")) {
        n++;
      } else if (e.get("args").has("span_id") && !e.get("cat").asText().equals("jvm")) {
        outside.put(e.get("args").get("span_id").asLong(), e);
      }
    }
    for (JsonNode e : outside.values()) {
      JsonNode top = e;
      while (top.get("args").path("parent_id").asLong() != 0 && outside.containsKey(top.get("args").get("parent_id").asLong())) {
        top = outside.get(top.get("args").get("parent_id").asLong());
      }
      // An op's category is its cat: op, gemm or copy.
      if (top.get("args").path("parent_id").asLong() == 0 && !Set.of("op", "gemm", "copy").contains(
          top.get("cat").asText())) {
        n++;
      }
    }
    return n;
  }


  private Process start(String agentArgs, Map<String, String> env, int steps) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath() + "=" + agentArgs, "-cp",
        ChildJvm.examplesClasspath(), MLP, "--steps", String.valueOf(steps)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("child.out").toFile())
        .redirectError(dir.resolve("child.err").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().putAll(env);
    return pb.start();
  }

  private static long spansIn(JsonNode traces) {
    long n = 0;
    for (JsonNode trace : traces) {
      n += trace.get("spans").size();
    }
    return n;
  }

  static Map<String, JsonNode> tags(JsonNode span) {
    Map<String, JsonNode> m = new java.util.HashMap<>();
    for (JsonNode t : span.get("tags")) {
      m.put(t.get("key").asText(), t.get("value"));
    }
    return m;
  }

  /** A finished child JVM and what it printed. */
  static final class Child {
    final int exit;
    final String stdout;
    final String stderr;

    private Child(int exit, String stdout, String stderr) {
      this.exit = exit;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    static Child await(Process p, Path dir) throws Exception {
      if (!p.waitFor(240, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("child JVM timed out:\n" + Files.readString(dir.resolve("child.err")));
      }
      return new Child(p.exitValue(), Files.readString(dir.resolve("child.out")),
          Files.readString(dir.resolve("child.err")));
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }
}
