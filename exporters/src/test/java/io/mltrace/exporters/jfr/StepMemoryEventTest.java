package io.mltrace.exporters.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.DataAmount;
import jdk.jfr.EventType;
import jdk.jfr.Recording;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steps with memory measured through the bridge, committed as JFR events by a real recording and read back. */
class StepMemoryEventTest {
  @TempDir
  Path dir;

  @Test
  void eachStepsMemoryIsOneEventThatReadsBack() throws Exception {
    JfrEventWriter writer = JfrEventWriter.eventsOnly();
    List<RecordedEvent> events;
    RecordedSteps recorded;
    try (Recording r = new Recording()) {
      r.enable(StepMemoryEvent.class);
      r.start();
      recorded = RecordedSteps.runWithMemory(4, false, writer.memoryEvents());
      r.stop();
      r.dump(dir.resolve("memory.jfr"));
      events = memoryEvents(dir.resolve("memory.jfr"));
    }
    assertEquals(4, events.size(), events::toString);
    for (int i = 0; i < 4; i++) {
      Step step = recorded.steps.get(i);
      RecordedEvent e = events.get(i);
      assertEquals(step.number(), e.getLong("step"));
      assertEquals(step.threadId(), e.getLong("javaThreadId"));
      assertEquals(RecordedSteps.liveBytesAfterStep(i + 1), e.getLong("arrays_live_bytes"));
      assertEquals(101 + i, e.getLong("arrays_live"));
      assertEquals(RecordedSteps.CREATED_BYTES_PER_STEP, e.getLong("arrays_created_bytes"));
      assertTrue(e.getLong("heap_allocated_bytes") > 0);
      assertEquals(step.memory().value(MemorySeries.HEAP_ALLOCATED_BYTES), e.getLong("heap_allocated_bytes"));
      assertEquals(StepMemoryEvent.NOT_MEASURED, e.getLong("workspace_bytes"), "not measured in this job");
      assertEquals(StepMemoryEvent.NOT_MEASURED, e.getLong("gpu_live_bytes"), "not measured in this job");
    }
  }

  @Test
  void stepsWithoutMemoryCommitNoEvent() throws Exception {
    JfrEventWriter writer = JfrEventWriter.eventsOnly();
    try (Recording r = new Recording()) {
      r.enable(StepMemoryEvent.class);
      r.start();
      RecordedSteps recorded = RecordedSteps.run(3, writer.memoryEvents());
      r.stop();
      r.dump(dir.resolve("none.jfr"));
      assertTrue(recorded.steps.get(0).memory().isEmpty(), "no gauge installed");
      assertEquals(0, memoryEvents(dir.resolve("none.jfr")).size());
    }
  }

  @Test
  void everyMemorySeriesHasAFieldInBytesWhenItCountsBytes() {
    EventType type = EventType.getEventType(StepMemoryEvent.class);
    for (MemorySeries s : MemorySeries.values()) {
      ValueDescriptor field = type.getField(s.key());
      assertNotNull(field, "mltrace.StepMemory has no field " + s.key());
      DataAmount amount = field.getAnnotation(DataAmount.class);
      assertEquals(s.isBytes(), amount != null && amount.value().equals(DataAmount.BYTES), s.key());
    }
  }

  private static List<RecordedEvent> memoryEvents(Path file) throws Exception {
    List<RecordedEvent> out = new ArrayList<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (e.getEventType().getName().equals("mltrace.StepMemory")) {
        out.add(e);
      }
    }
    out.sort((a, b) -> Long.compare(a.getLong("step"), b.getLong("step")));
    return out;
  }
}
