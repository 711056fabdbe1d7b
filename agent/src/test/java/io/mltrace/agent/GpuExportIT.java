package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.exporters.testing.Jaeger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU records through the whole agent: a child JVM whose GEMM op launches a copy and a kernel through the fake
 * libcupti (loaded by the agent's CUPTI bridge from {@code cupti_path}); the records land in trace.json on the
 * {@code GPU 0} process's stream track with a flow arrow from the op, and in a real Jaeger as children of the op's
 * span.
 */
class GpuExportIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 5;
  static final String SERVICE = "mltrace-gpu-it";

  @TempDir
  Path dir;

  @AfterEach
  void clear() {
    ChildJvm.EXTRA_CLASSPATH.remove();
    ChildJvm.EXTRA_ENV.get().clear();
  }

  @Test
  void fakeCuptiKernelsAppearOnGpuTracksWithArrowsFromTheirOpsAndAsChildSpansInJaeger() throws Exception {
    assertTrue(Files.isRegularFile(GpuAgentIT.FAKE_CUPTI), "the collector build makes " + GpuAgentIT.FAKE_CUPTI);
    Path out = dir.resolve("out");
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger")), 0)) {
      ChildJvm.EXTRA_CLASSPATH.set(ChildJvm.gpuTestClasspath());
      ChildJvm.EXTRA_ENV.get().put("OTEL_SERVICE_NAME", SERVICE);
      ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,cupti_path="
          + GpuAgentIT.FAKE_CUPTI + ",otlp_endpoint=http://127.0.0.1:" + jaeger.otlpGrpcPort,
          List.of("-Dmltrace.test.fakeCupti=" + GpuAgentIT.FAKE_CUPTI), FakeGpuTraining.class.getName(),
          String.valueOf(STEPS));
      assertEquals(0, run.exitCode, run::toString);
      assertTrue(run.stdout.contains("fake gpu training: " + STEPS + " steps"), run::toString);
      assertTrue(run.stderr.lines().noneMatch(l -> l.contains("GPU tracing")), run::toString);

      int kernels = checkTrace(out.resolve("trace.json"), run);
      checkJaeger(jaeger, kernels, run);
    }
  }

  /** Returns the number of kernels found; each is on its stream track with a flow arrow from its launching op. */
  private static int checkTrace(Path trace, ChildJvm run) throws Exception {
    JsonNode events = JSON.readTree(trace.toFile()).get("traceEvents");
    Map<String, String> names = new HashMap<>();
    List<JsonNode> ops = new ArrayList<>();
    List<JsonNode> gpu = new ArrayList<>();
    Map<Long, JsonNode> starts = new HashMap<>();
    Map<Long, JsonNode> ends = new HashMap<>();
    for (JsonNode e : events) {
      String ph = e.get("ph").asText();
      if (ph.equals("M") && e.get("name").asText().endsWith("_name")) {
        names.put(e.get("pid") + "/" + e.path("tid").asText(""), e.get("args").path("name").asText());
      } else if (ph.equals("X") && e.get("name").asText().equals("matmul")) {
        ops.add(e);
      } else if (ph.equals("X") && e.get("cat").asText().startsWith("gpu.")) {
        gpu.add(e);
      } else if (ph.equals("s")) {
        starts.put(e.get("id").asLong(), e);
      } else if (ph.equals("f")) {
        ends.put(e.get("id").asLong(), e);
      }
    }
    assertEquals("GPU 0", names.get("1000/"), names::toString);
    assertEquals("stream 7", names.get("1000/7"), names::toString);
    assertEquals(STEPS, ops.size(), "every step sampled");
    int kernels = 0;
    int copies = 0;
    for (JsonNode g : gpu) {
      assertEquals(1000, g.get("pid").asInt());
      assertEquals(7, g.get("tid").asInt());
      if (g.get("cat").asText().equals("gpu.kernel")) {
        kernels++;
        assertEquals(FakeGpuTraining.KERNEL, g.get("name").asText());
        assertTrue(g.get("dur").asDouble() >= FakeGpuTraining.KERNEL_NS / 1000.0, g::toString);
      } else {
        copies++;
        assertEquals("gpu.memcpy", g.get("cat").asText());
        assertEquals(FakeGpuTraining.COPY_BYTES, g.get("args").get("bytes").asLong());
      }
    }
    // The agent opens its CUPTI window when it starts following sampled steps, so at most the first can miss it.
    assertTrue(kernels >= STEPS - 1 && kernels <= STEPS, kernels + " kernels\n" + run);
    assertEquals(kernels, copies, run::toString);
    System.out.println("mltrace IT: trace.json of " + STEPS + " fake-GPU steps has " + kernels + " kernels, "
        + copies + " copies, " + starts.size() + " flow arrows");
    assertEquals(gpu.size(), starts.size(), "an arrow per GPU record");
    assertEquals(starts.keySet(), ends.keySet());
    for (long id : starts.keySet()) {
      JsonNode op = enclosing(ops, starts.get(id));
      JsonNode record = enclosing(gpu, ends.get(id));
      assertNotNull(op, "arrow " + id + " starts inside a matmul op");
      assertNotNull(record, "arrow " + id + " ends inside a GPU record");
      assertEquals(op.get("args").get("span_id").asLong(), record.get("args").get("launched_by").asLong());
      // The fake runs its work synchronously inside the op: the record lies within the op's interval.
      double opStart = op.get("ts").asDouble();
      assertTrue(record.get("ts").asDouble() >= opStart - 1
          && record.get("ts").asDouble() + record.get("dur").asDouble() <= opStart + op.get("dur").asDouble() + 1,
          "record " + record + " inside op " + op);
    }
    return kernels;
  }

  private static void checkJaeger(Jaeger jaeger, int kernels, ChildJvm run) throws Exception {
    JsonNode traces = jaeger.traces(SERVICE, STEPS);
    assertEquals(STEPS, traces.size(), run::toString);
    int found = 0;
    for (JsonNode trace : traces) {
      Map<String, String> nameById = new HashMap<>();
      for (JsonNode span : trace.get("spans")) {
        nameById.put(span.get("spanID").asText(), span.get("operationName").asText());
      }
      for (JsonNode span : trace.get("spans")) {
        if (!span.get("operationName").asText().equals(FakeGpuTraining.KERNEL)) {
          continue;
        }
        found++;
        assertEquals("matmul", nameById.get(span.get("references").get(0).get("spanID").asText()));
        Map<String, JsonNode> tags = OtelExportersIT.tags(span);
        assertEquals(FakeGpuTraining.KERNEL, tags.get("gpu.kernel.name").asText());
        assertEquals(7, tags.get("gpu.stream").asLong());
        assertEquals(0, tags.get("gpu.device").asLong());
      }
    }
    assertEquals(kernels, found, "every kernel in trace.json is a child span of its op in Jaeger");
  }

  private static JsonNode enclosing(List<JsonNode> slices, JsonNode point) {
    double ts = point.get("ts").asDouble();
    for (JsonNode x : slices) {
      double start = x.get("ts").asDouble();
      if (x.get("pid").equals(point.get("pid")) && x.get("tid").equals(point.get("tid")) && ts > start
          && ts < start + x.get("dur").asDouble()) {
        return x;
      }
    }
    return null;
  }
}
