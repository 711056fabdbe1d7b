package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An exporter that throws on every call, next to one that works: the collector thread goes on, the working
 * exporter gets every step, the failures are counted, and the failing exporter is named on stderr once.
 */
class ExporterFailureTest {
  private static final int STEPS = 200;

  @Test
  void aThrowingExporterIsCountedAndNamedOnceAndTheOthersGetEveryStep() throws Exception {
    List<Step> delivered = new ArrayList<>();
    StepSink working = new StepSink() {
      @Override
      public void onStep(Step step) {
        delivered.add(step);
      }
    };
    StepSink throwing = new ThrowingSink();
    PrintStream savedErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Collector collector = Collector.create(List.of(throwing, working), 10, 0, 10_000);
    RunStats stats;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      Thread trainer = new Thread(() -> {
        Recorder.loopStart();
        for (int i = 0; i <= STEPS; i++) {
          CollectorTest.iteration();
        }
      });
      trainer.start();
      trainer.join();
      collector.drainOnce();
      collector.flush();
      collector.flush();
      stats = collector.stats();
    } finally {
      collector.close();
      Recorder.setEnabled(false);
      System.setErr(savedErr);
    }
    // The step left open after the last iteration never closes: STEPS + 1 step ends close STEPS + 1 steps.
    assertTrue(delivered.size() >= STEPS, "the working exporter got every step: " + delivered.size());
    assertEquals(delivered.size() + 2, stats.sinkErrors(), "every failed call counted: steps and two flushes");
    List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines::toString);
    assertTrue(lines.get(0).startsWith("mltrace: exporter ThrowingSink failed (java.lang.IllegalStateException:"
        + " backend gone)"), lines.get(0));
  }

  private static final class ThrowingSink implements StepSink {
    @Override
    public void onStep(Step step) {
      throw new IllegalStateException("backend gone");
    }

    @Override
    public void flush(RunStats stats) {
      throw new IllegalStateException("backend gone");
    }
  }
}
