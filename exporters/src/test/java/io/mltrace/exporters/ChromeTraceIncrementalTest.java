package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace is written every report interval, each stored step's events rendered once: the file written as the run
 * grows must be the one a single write at its end makes, also when the time base moves or flows become per thread.
 */
class ChromeTraceIncrementalTest {
  @TempDir
  Path dir;

  @Test
  void aTraceWrittenAsTheRunGrowsIsTheOneWrittenOnceAtItsEnd() throws Exception {
    // GPU records with flow arrows, a GC pause stopping all threads, one over the first steps' boundary.
    RecordedSteps recorded = RecordedSteps.runWithActivities(6, true);
    assertSameAsWrittenOnce(recorded.steps, List.of(), false);
    assertSameAsWrittenOnce(recorded.steps, List.of(), true);
  }

  @Test
  void aStepEarlierThanEveryOneBeforeMovesTheTimeBaseAndTheFileFollows() throws Exception {
    RecordedSteps recorded = RecordedSteps.runWithActivities(5, false);
    List<Step> lateFirst = new ArrayList<>(recorded.steps.subList(1, 5));
    lateFirst.add(recorded.steps.get(0));
    String written = assertSameAsWrittenOnce(lateFirst, List.of(), false);
    assertTrue(written.contains("\"clock_base_ns\": " + recorded.steps.get(0).startNs()), "the base moved");
  }

  @Test
  void spansOutsideStepsAreWrittenAsTheyComeToo() throws Exception {
    RecordedSteps recorded = RecordedSteps.run(4);
    List<Span> outside = new ArrayList<>();
    for (Step s : recorded.steps) {
      outside.add(s.spans().get(0)); // any span serves: written as one outside a step
    }
    assertSameAsWrittenOnce(recorded.steps, outside, false);
  }

  @Test
  void aSecondThreadsStepsMakeEveryFlowPerThreadInTheWholeFile() throws Exception {
    List<Step> steps = new ArrayList<>();
    StepSink collect = new StepSink() {
      @Override
      public void onStep(Step step) {
        steps.add(step);
      }

      @Override
      public void onSpanOutsideStep(Span span) {}
    };
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    try {
      Collector c = Collector.create(List.of(collect), 10, 0, 10_000);
      for (int t = 0; t < 2; t++) { // one thread after the other: the second thread's steps come last
        Thread thread = new Thread(() -> {
          for (int i = 0; i < 3; i++) {
            ThreadRecorder d = Recorder.enterStepPart();
            Recorder.addToStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, 1 << 20);
            Recorder.exitSpan(d, Kind.DATA, "data");
            Recorder.exitStepEnd(Recorder.enterStepPart(), "optimizer");
          }
        }, "trainer-" + t);
        thread.start();
        thread.join();
        c.drainOnce();
      }
      c.close();
    } finally {
      Recorder.setEnabled(false);
      MemoryGauges.clear();
    }
    assertEquals(6, steps.size());
    String written = assertSameAsWrittenOnce(steps, List.of(), false);
    assertFalse(written.contains("\"memory arrays_created_bytes\""), "no flow left on a track of the process");
    assertTrue(written.contains("\"memory arrays_created_bytes tid " + steps.get(0).threadId() + "\""), written);
  }

  @Test
  void aFlushWithNothingNewWritesNothing() throws Exception {
    Path file = dir.resolve("trace.json");
    ChromeTraceWriter writer = new ChromeTraceWriter(file, 1000);
    RecordedSteps recorded = RecordedSteps.run(2);
    writer.onStep(recorded.steps.get(0));
    writer.flush(null);
    assertTrue(Files.exists(file));
    Files.delete(file);
    writer.flush(null);
    assertFalse(Files.exists(file), "nothing new since the last write");
    writer.onStep(recorded.steps.get(1));
    writer.flush(null);
    assertEquals(2, Files.readString(file).split("\"cat\": \"step\"", -1).length - 1);
  }

  /** Feeds the steps (then the spans) to one writer flushing after each, and to another once; the files must match. */
  private String assertSameAsWrittenOnce(List<Step> steps, List<Span> outside, boolean gzip) throws Exception {
    String suffix = gzip ? ".json.gz" : ".json";
    Path growing = Files.createTempFile(dir, "growing", suffix);
    Path once = Files.createTempFile(dir, "once", suffix);
    ChromeTraceWriter a = new ChromeTraceWriter(growing, 100_000, gzip);
    ChromeTraceWriter b = new ChromeTraceWriter(once, 100_000, gzip);
    for (Step s : steps) {
      a.onStep(s);
      a.flush(null);
      b.onStep(s);
    }
    for (Span s : outside) {
      a.onSpanOutsideStep(s);
      a.flush(null);
      b.onSpanOutsideStep(s);
    }
    b.flush(null);
    String whole = read(once, gzip);
    assertEquals(whole, read(growing, gzip));
    assertEquals(whole, b.render());
    assertTrue(whole.contains("\"cat\": \"step\""), whole);
    return whole;
  }

  private static String read(Path file, boolean gzip) throws Exception {
    if (!gzip) {
      return Files.readString(file, StandardCharsets.UTF_8);
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
