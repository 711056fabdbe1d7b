package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.collector.Collector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The collector premain has built beside the job: the exit paths wait for it; a failed build records nothing. */
class StartingCollectorTest {
  private final boolean wasEnabled = Recorder.isEnabled();

  @AfterEach
  void restore() {
    Recorder.setEnabled(wasEnabled);
  }

  @Test
  void anExitPathWaitsForABuildStillRunning() throws Exception {
    StartingCollector starting = new StartingCollector();
    Collector collector = Collector.create(List.of(step -> { }), 10, 0, 1_000);
    CountDownLatch release = new CountDownLatch(1);
    Thread builder = new Thread(() -> starting.build(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return collector;
    }));
    builder.start();
    AtomicReference<Collector> seen = new AtomicReference<>();
    Thread exit = new Thread(() -> seen.set(starting.await()));
    exit.start();
    exit.join(200);
    assertTrue(exit.isAlive(), "the exit path waits while the build runs");
    release.countDown();
    exit.join(5_000);
    assertSame(collector, seen.get());
  }

  @Test
  void aBuildThatFailsLeavesRecordingOffAndSaysSoOnce() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    StartingCollector starting = new StartingCollector();
    try {
      starting.build(() -> {
        throw new IllegalStateException("no output folder");
      });
    } finally {
      System.setErr(err);
    }
    starting.enableRecording(); // premain's later call: must not turn recording on without a collector
    assertFalse(Recorder.isEnabled());
    assertNull(starting.await(), "the exit paths get no collector, and write nothing");
    String line = captured.toString(StandardCharsets.UTF_8);
    assertTrue(line.startsWith("mltrace: the collector did not start") && line.contains("no output folder")
        && line.lines().count() == 1, line);
  }

  @Test
  void aBuildThatFailsAfterRecordingBeganTurnsItOff() {
    StartingCollector starting = new StartingCollector();
    starting.enableRecording();
    assertTrue(Recorder.isEnabled());
    PrintStream err = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      starting.build(() -> {
        throw new IllegalStateException("boom");
      });
    } finally {
      System.setErr(err);
    }
    assertFalse(Recorder.isEnabled());
  }
}
