package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thread tracks, the heap and memory counter tracks, the visible event-limit note, and the gzip option. */
class ChromeTraceTracksTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void gzipTraceReadsBackWithTracksAndAHeapCounterPerStep() throws Exception {
    Path file = dir.resolve("trace.json.gz");
    RecordedSteps recorded = RecordedSteps.run(3, new ChromeTraceWriter(file, 1000, true));
    JsonNode events;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      events = JSON.readTree(in).get("traceEvents");
    }
    List<JsonNode> heap = new ArrayList<>();
    List<JsonNode> stepEvents = new ArrayList<>();
    int counters = 0;
    int steps = 0;
    boolean sorted = false;
    double lastTs = -1;
    for (JsonNode e : events) {
      String ph = e.get("ph").asText();
      if (ph.equals("C")) {
        counters++;
        heap.add(e);
        assertEquals("jvm heap", e.get("name").asText());
        assertTrue(e.get("args").get("used_mb").asDouble() > 0, e.toString());
        assertTrue(e.get("ts").asDouble() >= lastTs, "counter samples in time order");
        lastTs = e.get("ts").asDouble();
      } else if (ph.equals("M") && e.get("name").asText().equals("thread_sort_index")) {
        sorted = true;
      } else if (ph.equals("X") && e.get("cat").asText().equals("step")) {
        steps++;
        stepEvents.add(e);
      }
    }
    for (int i = 0; i < heap.size(); i++) {
      // The heap the collector sampled as it read the step's record, not one the writer read later.
      Step step = recorded.steps.get(i);
      double mb = step.jvm().heapUsedBytes() / (1024.0 * 1024);
      assertEquals(mb, heap.get(i).get("args").get("used_mb").asDouble(), 0.11, "heap of step " + step.number());
      assertEquals((step.jvm().sampledAtNs() - step.startNs()) / 1000.0,
          heap.get(i).get("ts").asDouble() - stepEvents.get(i).get("ts").asDouble(), 0.002);
    }
    assertEquals(3, steps);
    assertEquals(3, counters, "one heap sample per stored step");
    assertTrue(sorted, "thread tracks carry a sort index");
  }

  @Test
  void reachingTheEventLimitLeavesAVisibleNoteInTheTimeline() throws Exception {
    Path file = dir.resolve("trace.json");
    // Each step costs 1 + 5 span events + 1 counter: two steps fit in 14, the other three do not.
    RecordedSteps.run(5, new ChromeTraceWriter(file, 14));
    JsonNode root = JSON.readTree(file.toFile());
    JsonNode note = null;
    for (JsonNode e : root.get("traceEvents")) {
      if ("i".equals(e.get("ph").asText())) {
        note = e;
      }
    }
    assertTrue(note != null && note.get("name").asText().equals("mltrace: event limit reached"), root.toString());
    assertEquals("g", note.get("s").asText());
    assertEquals(3, note.get("args").get("steps_not_stored").asLong());
    assertTrue(root.get("otherData").get("mltrace_truncated").asText().contains("3 steps"));
  }

  @Test
  void eachMemorySeriesOfAStepIsAPointOfItsCounterTrack() throws Exception {
    Path file = dir.resolve("trace.json");
    RecordedSteps recorded = RecordedSteps.runWithMemory(5, false, new ChromeTraceWriter(file, 10_000));
    Map<String, List<JsonNode>> tracks = new TreeMap<>();
    List<JsonNode> stepEvents = new ArrayList<>();
    for (JsonNode e : JSON.readTree(file.toFile()).get("traceEvents")) {
      String name = e.path("name").asText();
      if (e.get("ph").asText().equals("C") && name.startsWith("memory ")) {
        tracks.computeIfAbsent(name.substring("memory ".length()), k -> new ArrayList<>()).add(e);
      } else if (e.get("ph").asText().equals("X") && e.get("cat").asText().equals("step")) {
        stepEvents.add(e);
      }
    }
    assertEquals(List.of("arrays_created_bytes", "arrays_live", "arrays_live_bytes", "heap_allocated_bytes"),
        new ArrayList<>(tracks.keySet()), "one track per measured series");
    for (int i = 0; i < 5; i++) {
      Step step = recorded.steps.get(i);
      double stepStart = stepEvents.get(i).get("ts").asDouble();
      double stepEnd = stepStart + stepEvents.get(i).get("dur").asDouble();
      JsonNode live = tracks.get("arrays_live_bytes").get(i);
      assertEquals(RecordedSteps.liveBytesAfterStep(i + 1) / (1024.0 * 1024), live.get("args").get("mb").asDouble(),
          0.11, live.toString());
      assertEquals(stepEnd, live.get("ts").asDouble(), 0.002, "a level at the step's end");
      JsonNode count = tracks.get("arrays_live").get(i);
      assertEquals(step.memory().value(MemorySeries.ARRAYS_LIVE), count.get("args").get("count").asLong());
      assertEquals(101 + i, count.get("args").get("count").asLong());
      JsonNode allocated = tracks.get("heap_allocated_bytes").get(i);
      assertTrue(step.memory().value(MemorySeries.HEAP_ALLOCATED_BYTES) > 0, "the thread allocated in the step");
      assertEquals(step.memory().value(MemorySeries.HEAP_ALLOCATED_BYTES) / (1024.0 * 1024),
          allocated.get("args").get("mb").asDouble(), 0.11);
      assertEquals(stepStart, allocated.get("ts").asDouble(), 0.002, "a flow at the step's start");
    }
  }

  @Test
  void memoryPointsCountAgainstTheEventLimit() throws Exception {
    Path file = dir.resolve("trace.json");
    // Each step costs 1 + 5 span events + 1 heap point + 4 memory points: two steps fit in 22, three do not.
    RecordedSteps.runWithMemory(5, false, new ChromeTraceWriter(file, 22));
    JsonNode root = JSON.readTree(file.toFile());
    int stored = 0;
    for (JsonNode e : root.get("traceEvents")) {
      String ph = e.get("ph").asText();
      stored += ph.equals("X") || ph.equals("C") ? 1 : 0;
    }
    assertEquals(22, stored);
    assertTrue(root.get("otherData").get("mltrace_truncated").asText().contains("3 steps"), root.toString());
  }

  @Test
  void withTwoTrainingThreadsEachFlowHasATrackPerThreadAndLevelsOneTrack() throws Exception {
    Path file = dir.resolve("trace.json");
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    MemoryGauges.install(MemorySlots.ARRAYS_LIVE_BYTES, () -> 5L << 20);
    long[] ids = new long[2];
    try {
      Collector c = Collector.create(List.of(new ChromeTraceWriter(file, 10_000)), 10, 0, 10_000);
      Thread[] threads = new Thread[2];
      for (int t = 0; t < 2; t++) {
        long created = (t + 1L) << 20; // 1 MiB per step on the first thread, 2 MiB on the second
        threads[t] = new Thread(() -> {
          for (int i = 0; i < 3; i++) {
            ThreadRecorder d = Recorder.enterStepPart();
            Recorder.addToStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, created);
            Recorder.exitSpan(d, Kind.DATA, "data");
            ThreadRecorder o = Recorder.enterStepPart();
            Recorder.exitStepEnd(o, "optimizer");
          }
        }, "trainer-" + t);
        ids[t] = threads[t].getId();
        threads[t].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      c.close();
    } finally {
      Recorder.setEnabled(false);
      MemoryGauges.clear();
    }
    Map<String, List<Double>> tracks = new TreeMap<>();
    for (JsonNode e : JSON.readTree(file.toFile()).get("traceEvents")) {
      if (e.get("ph").asText().equals("C") && e.get("name").asText().startsWith("memory ")) {
        tracks.computeIfAbsent(e.get("name").asText(), k -> new ArrayList<>()).add(e.get("args").get("mb").asDouble());
      }
    }
    assertEquals(List.of(1.0, 1.0, 1.0), tracks.get("memory arrays_created_bytes tid " + ids[0]), tracks::toString);
    assertEquals(List.of(2.0, 2.0, 2.0), tracks.get("memory arrays_created_bytes tid " + ids[1]), tracks::toString);
    assertEquals(6, tracks.get("memory arrays_live_bytes").size(), "the process's level: one track");
    assertEquals(3, tracks.size(), tracks::toString);
  }
}
