package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.Jaeger;
import io.mltrace.exporters.testing.RecordedSteps;
import io.mltrace.collector.GpuTimeline;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steps go out over OTLP gRPC and OTLP HTTP into a real Jaeger and come back from its query API intact. */
class JaegerRoundTripTest {
  static final int STEPS = 4;

  @TempDir
  static Path dir;
  static Jaeger jaeger;

  @BeforeAll
  static void startJaeger() throws Exception {
    jaeger = Jaeger.start(dir, 0);
  }

  @AfterAll
  static void stopJaeger() throws Exception {
    if (jaeger != null) {
      jaeger.close();
    }
  }

  @Test
  void stepsRoundTripOverGrpc() throws Exception {
    roundTrip(OtlpSettings.GRPC, "http://127.0.0.1:" + jaeger.otlpGrpcPort, "mltrace-grpc-test");
  }

  @Test
  void stepsRoundTripOverHttpProtobuf() throws Exception {
    roundTrip(OtlpSettings.HTTP_PROTOBUF, "http://127.0.0.1:" + jaeger.otlpHttpPort, "mltrace-http-test");
  }

  private void roundTrip(String protocol, String endpoint, String service) throws Exception {
    Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL", protocol,
        "OTEL_SERVICE_NAME", service, "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test,team=ml%20infra");
    OtlpSettings settings = OtlpSettings.resolve("", "", 0, env);
    assertTrue(settings.problems().isEmpty(), settings.problems()::toString);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = OtlpTraceSink.create(settings, () -> "djl", new PrintStream(err, true));
    RecordedSteps recorded = RecordedSteps.run(STEPS, sink);
    sink.close();
    assertEquals(STEPS * RecordedSteps.SPANS_PER_STEP, sink.exported(), sink.report() + err);
    assertEquals(0, sink.dropped(), sink::report);

    JsonNode traces = jaeger.traces(service, STEPS);
    assertEquals(STEPS, traces.size(), jaeger.process::log);
    Map<Long, JsonNode> byStepNumber = new HashMap<>();
    for (JsonNode trace : traces) {
      JsonNode root = null;
      for (JsonNode span : trace.get("spans")) {
        if (span.get("references").isEmpty()) {
          root = span;
        }
      }
      assertNotNull(root, "every trace has its step span as root");
      assertEquals("step", root.get("operationName").asText());
      byStepNumber.put(tags(root).get("ml.step.number").asLong(), trace);
      JsonNode process = trace.get("processes").get(root.get("processID").asText());
      assertEquals(service, process.get("serviceName").asText());
      Map<String, JsonNode> processTags = tags(process);
      assertEquals("test", processTags.get("deployment.environment").asText());
      assertEquals("ml infra", processTags.get("team").asText());
    }
    for (Step step : recorded.steps) {
      checkStep(step, byStepNumber.get(step.number()));
    }
  }

  @Test
  void gpuRecordsAreChildrenOfTheirOpsAndJvmEventsAreLogsOfTheStep() throws Exception {
    String service = "mltrace-gpu-test";
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = grpcSink(service, err);
    RecordedSteps recorded = RecordedSteps.runWithActivities(2, sink);
    sink.close();
    int perStep = RecordedSteps.SPANS_PER_STEP + RecordedSteps.GPU_RECORDS_PER_STEP;
    assertEquals(2 * perStep, sink.exported(), sink.report() + err);
    assertEquals(0, sink.dropped(), sink::report);

    JsonNode traces = jaeger.traces(service, 2);
    assertEquals(2, traces.size(), jaeger.process::log);
    for (JsonNode trace : traces) {
      assertEquals(perStep, trace.get("spans").size());
      Map<String, JsonNode> byName = new HashMap<>();
      Map<String, String> nameById = new HashMap<>();
      for (JsonNode span : trace.get("spans")) {
        byName.put(span.get("operationName").asText(), span);
        nameById.put(span.get("spanID").asText(), span.get("operationName").asText());
      }
      JsonNode root = byName.get("step");
      long number = tags(root).get("ml.step.number").asLong();
      Step step = recorded.steps.stream().filter(x -> x.number() == number).findFirst().orElseThrow();

      JsonNode kernel = byName.get(RecordedSteps.KERNEL);
      assertNotNull(kernel, trace::toString);
      assertEquals("matmul", nameById.get(kernel.get("references").get(0).get("spanID").asText()),
          "the kernel is a child of the op that launched it");
      Map<String, JsonNode> k = tags(kernel);
      assertEquals("gpu.kernel", k.get("ml.kind").asText());
      assertEquals(RecordedSteps.KERNEL, k.get("gpu.kernel.name").asText());
      assertEquals(RecordedSteps.KERNEL_STREAM, k.get("gpu.stream").asLong());
      assertEquals(RecordedSteps.DEVICE, k.get("gpu.device").asLong());
      assertEquals(RecordedSteps.KERNEL_NS / 1000.0, kernel.get("duration").asLong(), 1.5);
      ExternalActivity kernelRecord = step.external().stream()
          .filter(x -> x.name().equals(RecordedSteps.KERNEL)).findFirst().orElseThrow();
      assertEquals((kernelRecord.startNs() - step.startNs()) / 1000.0,
          kernel.get("startTime").asLong() - root.get("startTime").asLong(), 1.5, "kernel start");

      JsonNode copy = byName.get(RecordedSteps.COPY);
      assertEquals("matmul", nameById.get(copy.get("references").get(0).get("spanID").asText()));
      assertEquals("gpu.memcpy", tags(copy).get("ml.kind").asText());
      assertEquals(RecordedSteps.COPY_BYTES, tags(copy).get("gpu.bytes").asLong());
      assertEquals(RecordedSteps.COPY_STREAM, tags(copy).get("gpu.stream").asLong());

      GpuTimeline t = GpuTimeline.of(step.startNs(), step.endNs(), step.spans(), step.external());
      Map<String, JsonNode> rootTags = tags(root);
      assertEquals(RecordedSteps.KERNEL_NS, t.deviceNs(GpuTimeline.DeviceUse.GEMM_KERNELS));
      assertEquals(RecordedSteps.KERNEL_NS, rootTags.get("ml.gpu.gemm_kernels_ns").asLong());
      assertEquals(RecordedSteps.COPY_NS, rootTags.get("ml.gpu.copy_h2d_ns").asLong());
      assertEquals(t.deviceNs(GpuTimeline.DeviceUse.IDLE), rootTags.get("ml.gpu.idle_ns").asLong());
      assertEquals((double) (RecordedSteps.KERNEL_NS + RecordedSteps.COPY_NS) / step.wallNs(),
          rootTags.get("ml.gpu.busy_ratio").asDouble(), 1e-9);

      JsonNode logs = root.get("logs");
      assertEquals(RecordedSteps.JVM_EVENTS_PER_STEP, logs.size(), "the GC pause, and no sample: " + logs);
      Map<String, JsonNode> fields = new HashMap<>();
      for (JsonNode f : logs.get(0).get("fields")) {
        fields.put(f.get("key").asText(), f.get("value"));
      }
      assertEquals(RecordedSteps.GC_PAUSE, fields.get("event").asText());
      assertEquals(RecordedSteps.GC_NS, fields.get("ml.jvm.duration_ns").asLong());
      assertEquals("gc", fields.get("ml.jvm.category").asText());
      ExternalActivity gc = step.external().stream().filter(x -> x.name().equals(RecordedSteps.GC_PAUSE))
          .findFirst().orElseThrow();
      assertEquals((gc.startNs() - step.startNs()) / 1000.0,
          logs.get(0).get("timestamp").asLong() - root.get("startTime").asLong(), 1.5, "GC pause time");
    }
  }

  @Test
  void theEstimatedBackwardGemmKeepsItsEstimateFlagAndItsParent() throws Exception {
    String service = "mltrace-estimate-test";
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = grpcSink(service, err);
    RecordedSteps recorded = RecordedSteps.runWithBackward(2, sink);
    sink.close();
    assertEquals(0, sink.dropped(), sink::report);
    Span estimate = recorded.steps.get(1).spans().stream()
        .filter(s -> s.name().equals(RecordedSteps.BACKWARD_ESTIMATE)).findFirst()
        .orElseThrow(() -> new AssertionError("no estimated GEMM span: " + recorded.steps.get(1).spans()));
    assertTrue(estimate.estimated());

    JsonNode traces = jaeger.traces(service, 2);
    assertEquals(2, traces.size(), jaeger.process::log);
    int estimates = 0;
    for (JsonNode trace : traces) {
      Map<String, JsonNode> byName = new HashMap<>();
      Map<String, String> nameById = new HashMap<>();
      for (JsonNode span : trace.get("spans")) {
        byName.put(span.get("operationName").asText(), span);
        nameById.put(span.get("spanID").asText(), span.get("operationName").asText());
      }
      JsonNode est = byName.get(RecordedSteps.BACKWARD_ESTIMATE);
      if (est == null) {
        continue; // the first step has no forward GEMM rate to estimate from
      }
      estimates++;
      Map<String, JsonNode> t = tags(est);
      assertTrue(t.get("ml.estimate").asBoolean(), t.toString());
      assertEquals("gemm", t.get("ml.kind").asText());
      assertEquals(RecordedSteps.BACKWARD, nameById.get(est.get("references").get(0).get("spanID").asText()),
          "the estimate is a child of the backward phase");
      assertEquals(RecordedSteps.GEMM_DTYPE, tags(byName.get("matmul")).get("ml.dtype").asText());
    }
    assertTrue(estimates >= 1, "the second step's estimate reached Jaeger");
  }

  @Test
  void theStepSpanCarriesTheStepsMemorySeries() throws Exception {
    String service = "mltrace-memory-test";
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = grpcSink(service, err);
    RecordedSteps recorded = RecordedSteps.runWithMemory(3, false, sink);
    sink.close();
    assertEquals(0, sink.dropped(), sink::report);

    JsonNode traces = jaeger.traces(service, 3);
    assertEquals(3, traces.size(), jaeger.process::log);
    for (JsonNode trace : traces) {
      JsonNode root = null;
      for (JsonNode span : trace.get("spans")) {
        root = span.get("operationName").asText().equals("step") ? span : root;
      }
      Map<String, JsonNode> t = tags(root);
      long number = t.get("ml.step.number").asLong();
      Step step = recorded.steps.stream().filter(x -> x.number() == number).findFirst().orElseThrow();
      assertEquals(4, step.memory().values().size(), step.memory().values()::toString);
      for (MemorySeries m : MemorySeries.values()) {
        JsonNode v = t.get("ml.memory." + m.key());
        if (step.memory().has(m)) {
          assertNotNull(v, m.key() + " on the step span: " + t);
          assertEquals(step.memory().value(m), v.asLong(), m.key());
        } else {
          assertNull(v, m.key() + " was not measured: absent, not zero");
        }
      }
      assertEquals(RecordedSteps.liveBytesAfterStep(recorded.steps.indexOf(step) + 1),
          t.get("ml.memory.arrays_live_bytes").asLong(), "the level at the step's end");
    }
  }

  /**
   * Two workers of one Spark job (same {@code spark.app.id}, executors 0 and 1), each running the same three global
   * iterations as different step numbers of its own: Jaeger holds one trace per iteration, each with both workers'
   * step spans. Ground truth: the iterations the steps were given; a step without one keeps a trace of its own.
   */
  @Test
  void spansOutsideStepsGoOutAsOneTracePerRootWithTheirParents() throws Exception {
    String service = "mltrace-inference-test";
    OtlpSettings settings = OtlpSettings.resolve("", "", 0, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://127.0.0.1:" + jaeger.otlpGrpcPort, "OTEL_EXPORTER_OTLP_PROTOCOL", OtlpSettings.GRPC,
        "OTEL_SERVICE_NAME", service));
    OtlpTraceSink sink = OtlpTraceSink.create(settings, () -> "djl", new PrintStream(new ByteArrayOutputStream()));
    long t = System.nanoTime();
    for (int call = 0; call < 3; call++) {
      long base = t + call * 10_000_000L;
      long root = 100 + call * 10;
      // As the collector hands them over: children close first, the root last.
      // A phase that read its Spark task's partition (call + 5), in the record's FLOPs slot.
      sink.onSpanOutsideStep(new Span(io.mltrace.bootstrap.Slots.header(io.mltrace.bootstrap.Kind.PHASE)
          | io.mltrace.bootstrap.Slots.FLAG_PARTITION, "preprocess", 1, base + 100_000, base + 200_000, root + 1, root,
          call + 5, 0, new long[0][]));
      sink.onSpanOutsideStep(new Span(io.mltrace.bootstrap.Kind.LAYER, "Linear", 1,
          base + 300_000, base + 400_000, root + 3, root + 2, 0, 0, new long[0][]));
      sink.onSpanOutsideStep(new Span(io.mltrace.bootstrap.Kind.PHASE, "forward", 1,
          base + 250_000, base + 500_000, root + 2, root, 0, 0, new long[0][]));
      sink.onSpanOutsideStep(new Span(io.mltrace.bootstrap.Kind.INFERENCE, "predict", 1,
          base, base + 600_000, root, 0, 0, 0, new long[0][]));
    }
    sink.close();
    assertEquals(0, sink.dropped(), sink.report());
    assertEquals(12, sink.exported(), sink.report());
    JsonNode traces = jaeger.traces(service, 3);
    assertEquals(3, traces.size(), "one trace per prediction: " + traces);
    for (JsonNode trace : traces) {
      Map<String, JsonNode> byId = new HashMap<>();
      for (JsonNode span : trace.get("spans")) {
        byId.put(span.get("spanID").asText(), span);
      }
      Map<String, String> parentOf = new HashMap<>();
      for (JsonNode span : trace.get("spans")) {
        JsonNode refs = span.path("references");
        parentOf.put(span.get("operationName").asText(), refs.size() == 0 ? null
            : byId.get(refs.get(0).get("spanID").asText()).get("operationName").asText());
      }
      assertEquals(4, parentOf.size(), trace::toString);
      Set<Long> partitions = new TreeSet<>();
      for (JsonNode span : trace.get("spans")) {
        JsonNode partition = tags(span).get("spark.partition.id");
        assertEquals(span.get("operationName").asText().equals("preprocess"), partition != null, span::toString);
        assertNull(tags(span).get("ml.op.flops"), "a partition is not FLOPs");
        if (partition != null) {
          partitions.add(partition.asLong());
        }
      }
      assertTrue(partitions.size() == 1 && partitions.iterator().next() >= 5 && partitions.iterator().next() <= 7,
          "" + partitions);
      assertNull(parentOf.get("predict"), "the root");
      assertEquals("predict", parentOf.get("preprocess"));
      assertEquals("predict", parentOf.get("forward"));
      assertEquals("forward", parentOf.get("Linear"));
    }
  }

  @Test
  void theWorkersStepsOfOneIterationShareOneTrace() throws Exception {
    String service = "mltrace-cluster-test";
    for (String executor : List.of("0", "1")) {
      OtlpSettings settings = OtlpSettings.resolve("", "", 0, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
          "http://127.0.0.1:" + jaeger.otlpGrpcPort, "OTEL_EXPORTER_OTLP_PROTOCOL", OtlpSettings.GRPC,
          "OTEL_SERVICE_NAME", service, "OTEL_RESOURCE_ATTRIBUTES",
          "spark.app.id=app-20261205-0001,spark.executor.id=" + executor));
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      OtlpTraceSink sink = OtlpTraceSink.create(settings, () -> "dl4j", new PrintStream(err, true));
      RecordedSteps.runWithIterations(3, 40, Integer.parseInt(executor), sink);
      sink.close();
      assertEquals(0, sink.dropped(), sink.report() + err);
    }
    Map<Long, Set<String>> executorsByIteration = new HashMap<>();
    Map<Long, Set<String>> tracesByIteration = new HashMap<>();
    Map<Long, JsonNode> traceOfIteration = new HashMap<>();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
    do {
      executorsByIteration.clear();
      tracesByIteration.clear();
      traceOfIteration.clear();
      for (JsonNode trace : jaeger.traces(service, 3)) {
        for (JsonNode span : trace.get("spans")) {
          if (span.get("operationName").asText().equals("step")) {
            long iteration = tags(span).get("ml.step.iteration").asLong();
            String executor = tags(trace.get("processes").get(span.get("processID").asText()))
                .get("spark.executor.id").asText();
            assertEquals((iteration + Integer.parseInt(executor)) % 2, tags(span).get("spark.partition.id").asLong(),
                "the task's partition");
            traceOfIteration.put(iteration, trace);
            executorsByIteration.computeIfAbsent(iteration, k -> new TreeSet<>()).add(executor);
            tracesByIteration.computeIfAbsent(iteration, k -> new TreeSet<>()).add(span.get("traceID").asText());
          }
        }
      }
    } while (!(executorsByIteration.values().stream().allMatch(e -> e.size() == 2) && traceOfIteration.values().stream()
        .allMatch(t -> t.get("spans").size() == 3)) && System.nanoTime() < deadline && sleep(200));
    assertEquals(Set.of(40L, 41L, 42L), executorsByIteration.keySet(), executorsByIteration::toString);
    for (long iteration = 40; iteration <= 42; iteration++) {
      assertEquals(Set.of("0", "1"), executorsByIteration.get(iteration), "both workers' steps of " + iteration);
      assertEquals(1, tracesByIteration.get(iteration).size(), "one trace for iteration " + iteration);
      // The iteration's own span, exported by the worker that fitted partition 0: the root, the steps' parent.
      JsonNode trace = traceOfIteration.get(iteration);
      JsonNode root = null;
      for (JsonNode span : trace.get("spans")) {
        if (span.get("operationName").asText().equals("iteration")) {
          root = span;
        }
      }
      assertNotNull(root, "the iteration's span: " + trace);
      assertEquals(0, root.get("references").size(), "a root");
      assertEquals(iteration, tags(root).get("ml.step.iteration").asLong());
      for (JsonNode span : trace.get("spans")) {
        if (span.get("operationName").asText().equals("step")) {
          assertEquals(root.get("spanID").asText(), span.get("references").get(0).get("spanID").asText());
        }
      }
      assertTrue(trace.path("warnings").isNull() || trace.path("warnings").isMissingNode()
          || trace.get("warnings").isEmpty(), "Jaeger sees no missing parent: " + trace.get("warnings"));
    }
    assertEquals(3, tracesByIteration.values().stream().flatMap(Set::stream).distinct().count(),
        "a trace per iteration: " + tracesByIteration);
  }

  private static boolean sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
    return true;
  }

  /** A sink exporting over OTLP gRPC to the test's Jaeger as {@code service}; its warnings go to {@code err}. */
  private static OtlpTraceSink grpcSink(String service, ByteArrayOutputStream err) {
    OtlpSettings settings = OtlpSettings.resolve("", "", 0, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://127.0.0.1:" + jaeger.otlpGrpcPort, "OTEL_EXPORTER_OTLP_PROTOCOL", OtlpSettings.GRPC,
        "OTEL_SERVICE_NAME", service));
    return OtlpTraceSink.create(settings, () -> "djl", new PrintStream(err, true));
  }

  /** Names, nesting (parent span ids), attributes and times (to the microsecond Jaeger keeps) survive. */
  private static void checkStep(Step step, JsonNode trace) {
    assertNotNull(trace, "trace of step " + step.number());
    assertEquals(RecordedSteps.SPANS_PER_STEP, trace.get("spans").size());
    Map<String, JsonNode> byName = new HashMap<>();
    Map<String, String> nameById = new HashMap<>();
    for (JsonNode span : trace.get("spans")) {
      byName.put(span.get("operationName").asText(), span);
      nameById.put(span.get("spanID").asText(), span.get("operationName").asText());
    }
    JsonNode root = byName.get("step");
    Map<String, JsonNode> rootTags = tags(root);
    assertEquals("djl", rootTags.get("ml.framework").asText());
    assertEquals(step.flops(), rootTags.get("ml.step.flops").asLong());
    assertEquals("trainer-thread", rootTags.get("ml.thread.name").asText());
    long sum = 0;
    for (Category c : Category.values()) {
      long ns = rootTags.get("ml.breakdown." + c.key() + "_ns").asLong();
      assertEquals(step.breakdown().ns(c), ns, c.key());
      sum += ns;
    }
    assertEquals(step.wallNs(), sum, "the breakdown on the step span sums to its wall time");
    assertEquals(step.wallNs() / 1000, root.get("duration").asLong(), 1);

    Map<String, String> expectedParent = Map.of("data", "step", "trainBatch", "step", "dense", "trainBatch",
        "matmul", "dense", "optimizer", "step");
    long rootStartUs = root.get("startTime").asLong();
    for (Span s : step.spans()) {
      JsonNode span = byName.get(s.name());
      assertNotNull(span, s.name());
      String parentId = span.get("references").get(0).get("spanID").asText();
      assertEquals(expectedParent.get(s.name()), nameById.get(parentId), "parent of " + s.name());
      assertEquals((s.startNs() - step.startNs()) / 1000.0, span.get("startTime").asLong() - rootStartUs, 1.5,
          "start of " + s.name());
      assertEquals(s.durationNs() / 1000.0, span.get("duration").asLong(), 1.5, "duration of " + s.name());
    }
    Map<String, JsonNode> gemm = tags(byName.get("matmul"));
    assertEquals("matmul", gemm.get("ml.op.name").asText());
    assertEquals("gemm", gemm.get("ml.kind").asText(), "the kind as trace.json names it");
    assertEquals(RecordedSteps.GEMM_DTYPE, gemm.get("ml.dtype").asText(), "the element type, as trace.json's dtype");
    assertNull(gemm.get("ml.estimate"), "a measured op carries no estimate flag");
    assertEquals(RecordedSteps.GEMM_FLOPS, gemm.get("ml.op.flops").asLong());
    assertTrue(gemm.get("ml.op.input_shapes").asText().contains("[8, 16]"), gemm.toString());
    assertEquals("layer", tags(byName.get("dense")).get("ml.kind").asText());
    assertEquals("phase", tags(byName.get("trainBatch")).get("ml.kind").asText());
  }

  static Map<String, JsonNode> tags(JsonNode spanOrProcess) {
    Map<String, JsonNode> m = new HashMap<>();
    for (JsonNode t : spanOrProcess.get("tags")) {
      m.put(t.get("key").asText(), t.get("value"));
    }
    return m;
  }
}
