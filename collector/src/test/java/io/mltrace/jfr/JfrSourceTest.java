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

  /**
   * The gate waits for the stream's own recording: another recording that starts running while the stream is made
   * (the agent's jfr= file, a jcmd JFR.start) does not open it. The stream is held between being made and started.
   */
  @Test
  void anotherRecordingStartingMeanwhileIsNotTheStreams() throws Exception {
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    jdk.jfr.Recording[] other = new jdk.jfr.Recording[1];
    JfrSource source = JfrSource.start(0, 1000, 100_000, false, () -> {
      other[0] = new jdk.jfr.Recording();
      other[0].start();
      held.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, () -> false);
    try {
      assertTrue(held.await(30, java.util.concurrent.TimeUnit.SECONDS), "the stream was made");
      assertEquals(jdk.jfr.RecordingState.RUNNING, other[0].getState());
      assertTrue(!source.awaitRecording(300), "another recording running is not the stream's");
      release.countDown();
      assertTrue(source.awaitRecording(10_000), "the stream's own recording runs");
    } finally {
      release.countDown();
      source.close();
      if (other[0] != null) {
        other[0].close();
      }
    }
  }

  @Test
  void newStreamRecordingIsTheOneThatAppearedOrNone() {
    assertEquals(7, JfrSource.newStreamRecording(java.util.Set.of(1L, 2L), java.util.Set.of(1L, 2L, 7L)));
    assertEquals(-1, JfrSource.newStreamRecording(java.util.Set.of(1L), java.util.Set.of(1L)));
    assertEquals(-1, JfrSource.newStreamRecording(java.util.Set.of(1L), java.util.Set.of(1L, 7L, 8L)),
        "two appeared: cannot tell which");
  }

  @Test
  void aGcRightAfterTheRecordingRunsIsDeliveredEvenBeforeTheFirstFlush() throws Exception {
    JfrSource source = JfrSource.start(0, 1000, 100_000);
    try {
      assertTrue(source.awaitRecording(10_000), "the stream's recording runs");
      // At once, well before the stream's first flush (a second after it started): a finish() (the agent's exit
      // when main returns) reads it from a dump. Before awaitRecording, a GC this early could predate the recording.
      long before = System.nanoTime();
      System.gc();
      long after = System.nanoTime();
      assertTrue(source.finish(), "the recording dumped");
      List<ExternalActivity> got = new ArrayList<>();
      source.drainTo(got);
      assertTrue(got.stream().anyMatch(a -> a.category() == Category.GC && a.startNs() >= before - 5_000_000
          && a.endNs() <= after + 5_000_000), "the GC pause: " + got);
    } finally {
      source.close();
    }
  }

  /**
   * A flush that cannot be made (another JDK's internals: false), that fails, or that claims to have flushed but
   * wakes no stream: the finish still delivers the GC from a dump (or, for the last, from JFR's own next flush if it
   * comes within the wait), never loses it and never throws.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"unavailable", "throws", "flushes nothing"})
  void aFinishWhoseFlushFailsStillDeliversEverything(String flush) throws Exception {
    JfrSource source = JfrSource.start(0, 1000, 100_000);
    int[] calls = new int[1];
    source.flushWith(() -> {
      calls[0]++;
      switch (flush) {
        case "unavailable":
          return false;
        case "throws":
          throw new IllegalStateException("no flush here");
        default:
          return true;
      }
    });
    try {
      assertTrue(source.awaitRecording(10_000), "the stream's recording runs");
      awaitRunning(source);
      long before = System.nanoTime();
      System.gc();
      long after = System.nanoTime();
      long finishing = System.nanoTime();
      assertTrue(source.finish(), "finished");
      long tookMs = (System.nanoTime() - finishing) / 1_000_000;
      assertEquals(1, calls[0], "the flush was tried once");
      List<ExternalActivity> got = new ArrayList<>();
      source.drainTo(got);
      assertTrue(got.stream().anyMatch(a -> a.category() == Category.GC && a.startNs() >= before - 5_000_000
          && a.endNs() <= after + 5_000_000), "the GC pause: " + got);
      if (!flush.equals("flushes nothing")) {
        assertTrue(!source.finishedByFlush(), "read from a dump");
      } else {
        assertTrue(source.finishedByFlush() || tookMs >= JfrSource.FLUSH_WAIT_MILLIS,
            "a dump after waiting for the heartbeat, or JFR's own flush delivered it: " + tookMs + " ms");
      }
      assertEquals(Long.MAX_VALUE, source.completeUpToNs(), "complete");
    } finally {
      source.close();
    }
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

  private static volatile byte[][] retained;

  /** Waits (up to 20 s) until the stream delivered a heartbeat; returns when the wait began. */
  private static long awaitRunning(JfrSource source) throws InterruptedException {
    long started = System.nanoTime();
    while (source.completeUpToNs() <= started && System.nanoTime() < started + 20_000_000_000L) {
      Thread.sleep(20);
    }
    return started;
  }

  /** {@code bytes} in arrays of 16 KiB: G1 counts a humongous object (half a region or more) in whole regions. */
  private static byte[][] smallArrays(int bytes) {
    byte[][] kept = new byte[bytes >> 14][];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = new byte[(16 << 10) - 16]; // 16 KiB with the array header
    }
    return kept;
  }

  /**
   * Ground truth: two collections, the first with 64 MiB more reachable (4096 arrays of 16 KiB) than the second.
   * The heap the "After GC" summaries give differs by those 64 MiB (within 2 MiB: the test's own garbage; class
   * metadata does not count in the heap), and each reading is placed when its collection ended.
   */
  @Test
  void heapAfterGcReadingsDifferByTheBytesKeptReachable() throws Exception {
    JfrSource source = JfrSource.start(0, 1000, 100_000);
    try {
      awaitRunning(source);
      retained = smallArrays(64 << 20); // not in a local: the interpreter's frame would keep it reachable
      long before = System.nanoTime();
      System.gc();
      long between = System.nanoTime();
      retained = null;
      System.gc();
      long after = System.nanoTime();
      assertTrue(source.finish(), "the recording could be dumped");
      List<ExternalActivity> got = new ArrayList<>();
      source.drainTo(got);
      ExternalActivity first = null;
      ExternalActivity second = null;
      for (ExternalActivity a : got) {
        if (a.isHeapAfterGc() && a.startNs() >= before && a.startNs() <= between) {
          first = first == null || a.startNs() > first.startNs() ? a : first;
        } else if (a.isHeapAfterGc() && a.startNs() > between && a.startNs() <= after) {
          second = second == null || a.startNs() > second.startNs() ? a : second;
        }
      }
      assertTrue(first != null && second != null, "a reading after each collection: " + got);
      assertEquals(first.startNs(), first.endNs());
      List<ExternalActivity> heap = List.of(first, second);
      long freed = heap.get(0).bytes() - heap.get(1).bytes();
      assertEquals(64 << 20, freed, 2 << 20, "heap after the first collection minus after the second");
      assertTrue(heap.stream().noneMatch(a -> a.category() != null), "a reading claims no time");
    } finally {
      source.close();
    }
  }

  @Test
  void finishDeliversWhatWasJustRecordedOnceWithoutWaitingForTheStream() throws Exception {
    JfrSource source = JfrSource.start(10, 1, 100_000);
    try {
      long started = awaitRunning(source);
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

  /**
   * The dump's events after a late flush of the stream: what the stream forgot from its recent deliveries (it ended
   * long before the new watermark) is not queued again, what it still holds is not either, and what it never
   * delivered is. In a CI run the stream's late flush, arriving while the dump was read, made a job's last GC pause
   * count twice.
   */
  @Test
  void aDumpReadWhileTheStreamFlushedQueuesOnlyWhatTheStreamNeverDelivered() {
    long watermark = 10_000_000_000L;
    ExternalActivity forgotten = gc(watermark - 2 * JfrSource.OVERLAP_NS - 50_000_000L); // delivered, then forgotten
    ExternalActivity held = gc(watermark - 50_000_000L); // delivered, still in the stream's recent deliveries
    ExternalActivity fresh = gc(watermark + 30_000_000L); // recorded after the stream's last flush
    List<ExternalActivity> read = List.of(forgotten, held, fresh);
    List<JfrSource.Delivered> keys = new ArrayList<>();
    for (ExternalActivity a : read) {
      keys.add(new JfrSource.Delivered(a, a.endNs())); // the raw end: any long the two readings share
    }
    java.util.Map<JfrSource.Delivered, Long> recent = new java.util.HashMap<>();
    recent.put(keys.get(1), held.endNs());
    assertEquals(List.of(fresh), JfrSource.notDelivered(read, keys, recent, watermark));
    // Before the stream moved its watermark past it, the forgotten one was still held, and skipped for that.
    recent.put(keys.get(0), forgotten.endNs());
    assertEquals(List.of(fresh), JfrSource.notDelivered(read, keys, recent, watermark - JfrSource.OVERLAP_NS));
  }

  private static ExternalActivity gc(long endNs) {
    return new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "GC Pause", ExternalActivity.ALL_THREADS,
        endNs - 5_000_000L, endNs, 0, -1, -1, 0, "System.gc()");
  }
}
