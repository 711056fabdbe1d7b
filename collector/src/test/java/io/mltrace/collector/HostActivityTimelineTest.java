package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.GpuTimeline.IdleReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The host's reason at each moment, checked nanosecond by nanosecond against the priority rule on random steps. */
class HostActivityTimelineTest {
  @Test
  void everyIntervalIsSplitAsThePriorityRuleSaysMomentByMoment() {
    Random random = new Random(2121);
    int[] kinds = {Kind.DATA, Kind.OP_GEMM, Kind.OP_OTHER, Kind.PHASE, Kind.LAYER, Kind.STEP};
    for (int round = 0; round < 300; round++) {
      int end = 1 + random.nextInt(400);
      List<Span> spans = new ArrayList<>();
      for (int i = 0; i < random.nextInt(12); i++) {
        int s = random.nextInt(end + 40) - 20;
        spans.add(GpuIdleSplitTest.span(kinds[random.nextInt(kinds.length)], "s", s, s + random.nextInt(80), i + 1));
      }
      List<ExternalActivity> jvm = new ArrayList<>();
      for (int i = 0; i < random.nextInt(4); i++) {
        int s = random.nextInt(end + 40) - 20;
        Category c = random.nextBoolean() ? Category.GC : Category.JIT_SAFEPOINT;
        jvm.add(new ExternalActivity(ExternalActivity.Origin.JVM, c, "e", 0, s, s + random.nextInt(50), 0, 0, 0, 0,
            null));
      }
      HostActivityTimeline timeline = HostActivityTimeline.of(0, end, spans, jvm);
      int from = random.nextInt(end + 20) - 10;
      int to = from + random.nextInt(end + 20);
      long[] got = new long[IdleReason.values().length];
      timeline.attribute(from, to, got);
      long[] expected = new long[IdleReason.values().length];
      for (int t = Math.max(0, from); t < Math.min(to, end); t++) {
        expected[reasonAt(t, spans, jvm).ordinal()]++;
      }
      assertArrayEquals(expected, got, "round " + round);
    }
  }

  private static IdleReason reasonAt(long t, List<Span> spans, List<ExternalActivity> jvm) {
    IdleReason best = IdleReason.HOST_OTHER;
    for (Span s : spans) {
      IdleReason r = HostActivityTimeline.reason(s);
      if (r != null && s.startNs() <= t && t < s.endNs() && r.ordinal() < best.ordinal()) {
        best = r;
      }
    }
    for (ExternalActivity a : jvm) {
      IdleReason r = HostActivityTimeline.reason(a);
      if (r != null && a.startNs() <= t && t < a.endNs() && r.ordinal() < best.ordinal()) {
        best = r;
      }
    }
    return best;
  }
}
