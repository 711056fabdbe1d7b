package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.GpuIdleSplit.StreamIdle;
import io.mltrace.collector.GpuIdleSplit.Wait;
import io.mltrace.collector.GpuTimeline.IdleReason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The HTA idle split on a scripted step of 1 ms: a data fetch, two back-to-back kernels, a GC, a slow launch (an
 * op whose copy launch takes 190 µs), a kernel queued behind something else, and the host's tail.
 */
class GpuIdleSplitTest {
  static final long STEP_END = 1_000_000;

  static Span span(int kind, String name, long start, long end, long id) {
    return new Span(kind, name, 1, start, end, id, 0, 0, 0, new long[0][]);
  }

  static ExternalActivity kernel(int stream, long span, long apiStart, long apiEnd, long start, long end) {
    return new ExternalActivity(ExternalActivity.Origin.GPU, Category.OTHER_COMPUTE, "k", 0, start, end, span, 0,
        stream, 0, null, apiStart, apiEnd);
  }

  static List<Span> spans() {
    return List.of(span(Kind.STEP, "step", 0, STEP_END, 10), span(Kind.DATA, "next", 0, 200_000, 1),
        span(Kind.PHASE, "trainBatch", 200_000, 900_000, 3), span(Kind.OP_GEMM, "matmul", 200_000, 300_000, 2),
        span(Kind.OP_OTHER, "relu", 300_000, 350_000, 4), span(Kind.OP_COPY, "toDevice", 500_000, 700_000, 5));
  }

  static List<ExternalActivity> activities() {
    return List.of(
        kernel(7, 2, 210_000, 220_000, 230_000, 280_000),
        kernel(7, 2, 220_000, 221_000, 280_020, 300_000), // queued: starts 20 ns after the previous one
        kernel(7, 4, 310_000, 311_000, 315_000, 340_000),
        new ExternalActivity(ExternalActivity.Origin.GPU, Category.MEMCPY, "memcpy H2D", 0, 700_000, 720_000, 5, 0,
            7, 4096, "H2D", 500_000, 690_000), // the slow launch
        kernel(7, 4, 320_000, 321_000, 750_000, 800_000), // queued long before it ran: waited on something else
        new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "G1 Young", ExternalActivity.ALL_THREADS,
            350_000, 450_000, 0, 0, 0, 0, null),
        kernel(9, 2, 0, 0, 100_000, 200_000)); // its launch is unknown
  }

  @Test
  void scriptedHostGapsGoToTheirCauseAndTheSplitSumsToEachStreamsIdleTime() {
    GpuIdleSplit split = GpuIdleSplit.of(0, STEP_END, spans(), activities());
    assertEquals(2, split.streams().size());

    StreamIdle s7 = split.streams().get(0);
    assertEquals(7, s7.stream());
    assertEquals(STEP_END - 164_980, s7.idleNs(), "wall time minus the stream's busy time");
    assertEquals(230_000 + 15_000 + 360_000 + 200_000, s7.waitNs(Wait.HOST_WAIT));
    assertEquals(20, s7.waitNs(Wait.KERNEL_WAIT));
    assertEquals(30_000, s7.waitNs(Wait.OTHER));
    assertEquals(200_000, s7.hostWaitNs(IdleReason.DATA), "the data fetch before the first launch");
    assertEquals(100_000, s7.hostWaitNs(IdleReason.GC));
    assertEquals(30_000 + 15_000 + 10_000 + 200_000, s7.hostWaitNs(IdleReason.LAUNCH_OVERHEAD),
        "inside ops, the slow launch's 200 µs included");
    assertEquals(50_000 + 100_000, s7.hostWaitNs(IdleReason.FRAMEWORK));
    assertEquals(100_000, s7.hostWaitNs(IdleReason.HOST_OTHER));
    assertEquals(0, s7.hostWaitNs(IdleReason.JIT));
    assertHostWaitSums(s7);

    StreamIdle s9 = split.streams().get(1);
    assertEquals(9, s9.stream());
    assertEquals(100_000, s9.waitNs(Wait.OTHER), "an unknown launch is never host wait");
    assertEquals(800_000, s9.waitNs(Wait.HOST_WAIT), "after the stream's last record");
    assertEquals(350_000, s9.hostWaitNs(IdleReason.LAUNCH_OVERHEAD));
    assertEquals(250_000, s9.hostWaitNs(IdleReason.FRAMEWORK));
    assertEquals(STEP_END - 100_000, s9.idleNs());
    assertHostWaitSums(s9);
  }

  @Test
  void randomTimelinesSplitExactlyIntoEachStreamsIdleTime() {
    Random random = new Random(21);
    for (int round = 0; round < 500; round++) {
      long end = 1 + random.nextInt(100_000);
      List<Span> spans = new ArrayList<>();
      int[] kinds = {Kind.DATA, Kind.OP_GEMM, Kind.OP_OTHER, Kind.PHASE, Kind.LAYER};
      for (int i = 0; i < random.nextInt(20); i++) {
        long s = random.nextInt((int) end + 2000) - 1000;
        spans.add(span(kinds[random.nextInt(kinds.length)], "s" + i, s, s + random.nextInt(20_000), i + 1));
      }
      List<ExternalActivity> activities = new ArrayList<>();
      for (int i = 0; i < random.nextInt(30); i++) {
        long s = random.nextInt((int) end + 2000) - 1000;
        long api = s - random.nextInt(5000);
        boolean known = random.nextInt(4) != 0;
        activities.add(kernel(random.nextInt(3), 1 + random.nextInt(20), known ? api : 0,
            known ? api + random.nextInt(100) + 1 : 0, s, s + random.nextInt(5000)));
      }
      if (random.nextBoolean()) {
        long s = random.nextInt((int) end);
        activities.add(new ExternalActivity(ExternalActivity.Origin.JVM, Category.JIT_SAFEPOINT, "safepoint", 0, s,
            s + random.nextInt(3000), 0, 0, 0, 0, null));
      }
      for (StreamIdle s : GpuIdleSplit.of(0, end, spans, activities).streams()) {
        assertEquals(end - busy(activities, s.stream(), end), s.idleNs(), "round " + round);
        assertHostWaitSums(s);
      }
    }
  }

  @Test
  void aStepWithoutGpuRecordsHasNoStreams() {
    assertEquals(0, GpuIdleSplit.of(0, STEP_END, spans(), List.of()).streams().size());
  }

  private static long busy(List<ExternalActivity> activities, int stream, long end) {
    List<ExternalActivity> mine = new ArrayList<>();
    for (ExternalActivity a : activities) {
      if (a.origin() == ExternalActivity.Origin.GPU && a.stream() == stream) {
        mine.add(a);
      }
    }
    mine.sort(Comparator.comparingLong(ExternalActivity::startNs));
    long busy = 0;
    long covered = 0;
    for (ExternalActivity a : mine) {
      long s = Math.max(Math.max(a.startNs(), covered), 0);
      long e = Math.min(a.endNs(), end);
      if (e > s) {
        busy += e - s;
      }
      covered = Math.max(covered, a.endNs());
    }
    return busy;
  }

  private static void assertHostWaitSums(StreamIdle s) {
    long sum = 0;
    for (IdleReason r : IdleReason.values()) {
      sum += s.hostWaitNs(r);
    }
    assertEquals(s.waitNs(Wait.HOST_WAIT), sum, "host-wait causes sum to the host wait");
  }
}
