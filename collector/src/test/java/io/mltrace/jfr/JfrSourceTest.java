package io.mltrace.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A real JFR stream in this JVM: GC pauses and samples arrive on the agent's clock, on the right thread. */
class JfrSourceTest {

  private static volatile long sink;

  /** Spins in its own frame so that execution samples name this method. */
  private static void spinHere(long nanos) {
    long end = System.nanoTime() + nanos;
    long x = 0;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1000; i++) {
        x += i * 31L ^ x;
      }
    }
    sink = x;
  }

  @Test
  void gcPausesAndSamplesArriveOnTheAgentClock() throws Exception {
    JfrSource source = JfrSource.start(10, 1, 100_000);
    try {
      // Wait until the stream runs: its watermark moves only when it delivers a heartbeat.
      long started = System.nanoTime();
      long deadline0 = started + 20_000_000_000L;
      while (source.completeUpToNs() <= started && System.nanoTime() < deadline0) {
        Thread.sleep(20);
      }
      assertTrue(source.completeUpToNs() > started, "the stream delivered a heartbeat");
      long before = System.nanoTime();
      System.gc();
      spinHere(400_000_000L);
      long after = System.nanoTime();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (source.completeUpToNs() < after && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      List<ExternalActivity> got = new ArrayList<>();
      source.drainTo(got);
      long me = Thread.currentThread().getId();
      ExternalActivity pause = got.stream()
          .filter(a -> a.category() == Category.GC && a.startNs() >= before - 5_000_000 && a.endNs() <= after)
          .findFirst().orElseThrow(() -> new AssertionError("no GC pause in " + got));
      assertTrue(pause.durationNs() > 0 && pause.threadId() == ExternalActivity.ALL_THREADS, pause.toString());
      long mySamples = got.stream().filter(a -> a.isSample() && a.threadId() == me
          && a.detail().endsWith("JfrSourceTest.spinHere") && a.startNs() >= before && a.startNs() <= after).count();
      assertTrue(mySamples >= 10, "samples of spinHere on this thread: " + mySamples);
    } finally {
      source.close();
    }
  }

  @Test
  void finishDeliversWhatWasJustRecordedOnceWithoutWaitingForTheStream() throws Exception {
    JfrSource source = JfrSource.start(10, 1, 100_000);
    try {
      long started = System.nanoTime();
      while (source.completeUpToNs() <= started && System.nanoTime() < started + 20_000_000_000L) {
        Thread.sleep(20);
      }
      // Two collections, one before and one after the stream's watermark: both must arrive, each once.
      System.gc();
      Thread.sleep(1500);
      long before = System.nanoTime();
      System.gc();
      long after = System.nanoTime();
      assertTrue(source.completeUpToNs() < after, "the stream has not delivered the last collection yet");
      List<ExternalActivity> got = new ArrayList<>();
      source.drainTo(got);
      assertTrue(source.finish(), "the recording could be dumped");
      assertEquals(Long.MAX_VALUE, source.completeUpToNs());
      source.drainTo(got);
      long lastPauses = got.stream().filter(a -> a.category() == Category.GC && a.startNs() >= before
          && a.endNs() <= after && a.name().equals("GC Pause")).count();
      assertEquals(1, lastPauses, "the last collection's pause, once: " + got);
      long all = got.stream().filter(a -> a.category() == Category.GC && a.startNs() >= started).count();
      long distinct = got.stream().filter(a -> a.category() == Category.GC && a.startNs() >= started)
          .map(a -> a.name() + a.startNs() + "-" + a.endNs()).distinct().count();
      assertEquals(distinct, all, "no pause twice: " + got);
    } finally {
      source.close();
    }
  }
}
