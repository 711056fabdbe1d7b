package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thread tracks, the heap counter track, the visible event-limit note, and the gzip option. */
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
}
