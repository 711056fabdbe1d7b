package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.ActivityKind;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JVM events and GPU records of real steps in the Chrome/Perfetto trace: GPU streams as tracks of a {@code GPU 0}
 * process, flow arrows from the launching op to each record, GC pauses on the all-threads JVM track, no samples.
 */
class ChromeTraceActivitiesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 3;

  @TempDir
  Path dir;

  @Test
  void gpuRecordsSitOnStreamTracksWithFlowArrowsFromTheirOps() throws Exception {
    Path file = dir.resolve("trace.json");
    RecordedSteps recorded = RecordedSteps.runWithActivities(STEPS, new ChromeTraceWriter(file, 100_000));
    assertEquals(STEPS, recorded.steps.size());
    for (Step s : recorded.steps) {
      assertEquals(RecordedSteps.GPU_RECORDS_PER_STEP + RecordedSteps.JVM_EVENTS_PER_STEP + 1, s.external().size(),
          "the source's activities joined the step: " + s.external());
    }
    JsonNode events = JSON.readTree(file.toFile()).get("traceEvents");
    int gpuPid = ChromeTraceWriter.gpuPid(RecordedSteps.DEVICE);
    Map<String, String> trackNames = new HashMap<>();
    List<JsonNode> kernels = new ArrayList<>();
    List<JsonNode> copies = new ArrayList<>();
    List<JsonNode> ops = new ArrayList<>();
    List<JsonNode> gcs = new ArrayList<>();
    Map<Long, JsonNode> flowStarts = new HashMap<>();
    Map<Long, JsonNode> flowEnds = new HashMap<>();
    for (JsonNode e : events) {
      String ph = e.get("ph").asText();
      String name = e.get("name").asText();
      if (ph.equals("M") && (name.equals("process_name") || name.equals("thread_name"))) {
        trackNames.put(e.get("pid") + "/" + e.path("tid").asText(""), e.get("args").get("name").asText());
      } else if (ph.equals("X") && e.get("cat").asText().equals("gpu.kernel")) {
        kernels.add(e);
      } else if (ph.equals("X") && e.get("cat").asText().equals("gpu.memcpy")) {
        copies.add(e);
      } else if (ph.equals("X") && e.get("cat").asText().equals(ActivityKind.OP_GEMM.key())) {
        ops.add(e);
      } else if (ph.equals("X") && e.get("cat").asText().equals("jvm")) {
        gcs.add(e);
      } else if (ph.equals("s")) {
        flowStarts.put(e.get("id").asLong(), e);
      } else if (ph.equals("f")) {
        assertEquals("e", e.get("bp").asText(), "the flow ends in the enclosing slice");
        flowEnds.put(e.get("id").asLong(), e);
      }
    }
    assertEquals("GPU 0", trackNames.get(gpuPid + "/"));
    assertEquals("stream " + RecordedSteps.KERNEL_STREAM, trackNames.get(gpuPid + "/" + RecordedSteps.KERNEL_STREAM));
    assertEquals("stream " + RecordedSteps.COPY_STREAM, trackNames.get(gpuPid + "/" + RecordedSteps.COPY_STREAM));
    assertEquals("JVM (all threads)", trackNames.get("1/" + ExternalActivity.ALL_THREADS));

    assertEquals(STEPS, kernels.size());
    assertEquals(STEPS, copies.size());
    for (JsonNode k : kernels) {
      assertEquals(RecordedSteps.KERNEL, k.get("name").asText());
      assertEquals(gpuPid, k.get("pid").asInt());
      assertEquals(RecordedSteps.KERNEL_STREAM, k.get("tid").asInt());
      assertEquals(RecordedSteps.KERNEL_NS / 1000.0, k.get("dur").asDouble(), 1e-9);
      assertStepOf(k, recorded);
    }
    for (JsonNode c : copies) {
      assertEquals(RecordedSteps.COPY_STREAM, c.get("tid").asInt());
      assertEquals(RecordedSteps.COPY_BYTES, c.get("args").get("bytes").asLong());
      assertEquals("H2D", c.get("args").get("detail").asText());
    }

    // One arrow per GPU record: from inside the GEMM op that launched it to inside the record.
    assertEquals(STEPS * RecordedSteps.GPU_RECORDS_PER_STEP, flowStarts.size());
    assertEquals(flowStarts.keySet(), flowEnds.keySet());
    List<JsonNode> gpuRecords = new ArrayList<>(kernels);
    gpuRecords.addAll(copies);
    for (long id : flowStarts.keySet()) {
      JsonNode s = flowStarts.get(id);
      JsonNode f = flowEnds.get(id);
      JsonNode op = enclosing(ops, s);
      assertNotNull(op, "flow " + id + " starts inside a GEMM op: " + s);
      JsonNode record = enclosing(gpuRecords, f);
      assertNotNull(record, "flow " + id + " ends inside a GPU record: " + f);
      assertEquals(op.get("args").get("span_id").asLong(), record.get("args").get("launched_by").asLong());
    }

    // The copy's bandwidth on the GPU's H2D counter track: its bytes over its duration while it runs, then 0.
    List<JsonNode> h2d = new ArrayList<>();
    for (JsonNode e : events) {
      if (e.get("ph").asText().equals("C") && e.get("name").asText().equals("H2D bandwidth")) {
        assertEquals(gpuPid, e.get("pid").asInt());
        h2d.add(e);
      }
    }
    assertEquals(2 * STEPS, h2d.size(), "a point at each copy's start and end");
    for (int i = 0; i < copies.size(); i++) {
      JsonNode c = copies.get(i);
      JsonNode start = h2d.get(2 * i);
      JsonNode end = h2d.get(2 * i + 1);
      assertEquals(c.get("ts").asDouble(), start.get("ts").asDouble(), 1e-9);
      assertEquals((double) RecordedSteps.COPY_BYTES / RecordedSteps.COPY_NS, start.get("args").get("GB/s").asDouble(),
          1e-3);
      assertEquals(c.get("ts").asDouble() + c.get("dur").asDouble(), end.get("ts").asDouble(), 1e-6);
      assertEquals(0, end.get("args").get("GB/s").asDouble());
    }

    assertEquals(STEPS, gcs.size(), "one GC pause per step, and no execution samples");
    for (JsonNode g : gcs) {
      assertEquals(RecordedSteps.GC_PAUSE, g.get("name").asText());
      assertEquals(ExternalActivity.ALL_THREADS, g.get("tid").asLong());
      assertEquals(RecordedSteps.GC_NS / 1000.0, g.get("dur").asDouble(), 1e-9);
      assertEquals("gc", g.get("args").get("category").asText());
      assertStepOf(g, recorded);
    }
  }

  @Test
  void activitiesCountAgainstTheEventLimit() throws Exception {
    Path unlimited = dir.resolve("all.json");
    RecordedSteps recorded = RecordedSteps.runWithActivities(1, new ChromeTraceWriter(unlimited, 100_000));
    Step one = recorded.steps.get(0);
    // Step event, heap counter, its spans, the GC pause, per GPU record the event and the two flow ends, and the
    // copy's two bandwidth counter points.
    int perStep = 2 + one.spans().size() + RecordedSteps.JVM_EVENTS_PER_STEP + 3 * RecordedSteps.GPU_RECORDS_PER_STEP
        + 2;
    Path limited = dir.resolve("limited.json");
    RecordedSteps.runWithActivities(STEPS, new ChromeTraceWriter(limited, 2 * perStep));
    JsonNode root = JSON.readTree(limited.toFile());
    int kernels = 0;
    for (JsonNode e : root.get("traceEvents")) {
      kernels += e.path("cat").asText().equals("gpu.kernel") ? 1 : 0;
    }
    assertEquals(2, kernels, "two whole steps fit, with their GPU records");
    assertTrue(root.get("otherData").get("mltrace_truncated").asText().contains("1 steps"), root::toString);
  }

  @Test
  void aGcPauseOverlappingTwoStepsIsWrittenOnce() throws Exception {
    Path file = dir.resolve("trace.json");
    RecordedSteps recorded = RecordedSteps.runWithActivities(2, true, new ChromeTraceWriter(file, 100_000));
    ExternalActivity across = recorded.steps.get(0).external().stream()
        .filter(x -> x.name().equals(RecordedSteps.GC_ACROSS)).findFirst().orElseThrow();
    assertTrue(recorded.steps.get(1).external().contains(across), "both steps hold the pause");
    int written = 0;
    for (JsonNode e : JSON.readTree(file.toFile()).get("traceEvents")) {
      written += e.path("name").asText().equals(RecordedSteps.GC_ACROSS) ? 1 : 0;
    }
    assertEquals(1, written);
  }

  /** Names its step as {@code in_step}; {@code span_id} 0 and no {@code step}: it is not a recorded span. */
  private static void assertStepOf(JsonNode event, RecordedSteps recorded) {
    JsonNode args = event.get("args");
    assertEquals(0, args.get("span_id").asLong(), event::toString);
    assertTrue(!args.has("step"), event::toString);
    long step = args.get("in_step").asLong();
    assertTrue(recorded.steps.stream().anyMatch(s -> s.number() == step), event::toString);
  }

  /** The complete event among {@code slices} on the same track whose interval strictly contains the point's ts. */
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
