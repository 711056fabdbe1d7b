package io.mltrace.collector;

import io.mltrace.collector.GpuTimeline.IdleReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the host was doing at each moment of a step, as one {@link IdleReason} per moment: GC, JIT/safepoint, data
 * loading, inside an op (launch overhead), inside another framework span, or nothing recorded ({@code host_other}),
 * in that priority where they overlap. Built once per step by one sweep; {@link #attribute} then splits any
 * interval of the step by binary search, so explaining many idle gaps stays O((spans + gaps) log spans).
 */
final class HostActivityTimeline {
  private static final int REASONS = IdleReason.values().length - 1; // HOST_OTHER is the absence of all

  /** Segment starts, sorted; segment i is [starts[i], starts[i + 1]) (the last ends at the step's end). */
  private final long[] starts;
  private final byte[] reasons;
  private final long end;

  private HostActivityTimeline(long[] starts, byte[] reasons, long end) {
    this.starts = starts;
    this.reasons = reasons;
    this.end = end;
  }

  /** The host's reason for a span's time, or null for the step span itself (it covers everything). */
  static IdleReason reason(Span s) {
    ActivityKind k = s.activityKind();
    return k == ActivityKind.DATA ? IdleReason.DATA
        : k.isOp() ? IdleReason.LAUNCH_OVERHEAD
        : k == ActivityKind.STEP ? null : IdleReason.FRAMEWORK;
  }

  /** The host's reason for a JVM event's time, or null when it explains no GPU idle time. */
  static IdleReason reason(ExternalActivity a) {
    if (a.kind() != ActivityKind.JVM) {
      return null;
    }
    return a.category() == Category.GC ? IdleReason.GC
        : a.category() == Category.JIT_SAFEPOINT ? IdleReason.JIT : null;
  }

  static HostActivityTimeline of(long stepStart, long stepEnd, List<Span> spans, List<ExternalActivity> activities) {
    List<long[]> events = new ArrayList<>(); // {time, +/-(1 + reason)}
    for (Span s : spans) {
      add(events, reason(s), s.startNs(), s.endNs(), stepStart, stepEnd);
    }
    for (ExternalActivity a : activities) {
      add(events, reason(a), a.startNs(), a.endNs(), stepStart, stepEnd);
    }
    events.sort((x, y) -> Long.compare(x[0], y[0]));
    int[] active = new int[REASONS];
    long[] starts = new long[events.size() + 1];
    byte[] reasons = new byte[events.size() + 1];
    int n = 0;
    starts[n] = stepStart;
    reasons[n++] = (byte) IdleReason.HOST_OTHER.ordinal();
    for (int i = 0; i < events.size(); i++) {
      long[] e = events.get(i);
      int d = (int) e[1];
      active[Math.abs(d) - 1] += d > 0 ? 1 : -1;
      if (i + 1 < events.size() && events.get(i + 1)[0] == e[0]) {
        continue; // apply every change at one moment before reading the state
      }
      byte r = (byte) current(active);
      if (r == reasons[n - 1]) {
        continue;
      }
      if (starts[n - 1] == e[0]) {
        reasons[n - 1] = r; // the previous segment is empty
        if (n > 1 && reasons[n - 2] == r) {
          n--;
        }
      } else {
        starts[n] = e[0];
        reasons[n++] = r;
      }
    }
    return new HostActivityTimeline(Arrays.copyOf(starts, n), Arrays.copyOf(reasons, n), stepEnd);
  }

  private static void add(List<long[]> events, IdleReason r, long start, long end, long stepStart, long stepEnd) {
    long s = Math.max(start, stepStart);
    long e = Math.min(end, stepEnd);
    if (r != null && e > s) {
      events.add(new long[] {s, r.ordinal() + 1});
      events.add(new long[] {e, -(r.ordinal() + 1)});
    }
  }

  private static int current(int[] active) {
    for (int r = 0; r < REASONS; r++) {
      if (active[r] > 0) {
        return r;
      }
    }
    return IdleReason.HOST_OTHER.ordinal();
  }

  /** Adds the time of {@code [from, to)} (clipped to the step) to {@code out}, indexed by {@link IdleReason}. */
  void attribute(long from, long to, long[] out) {
    long t = Math.max(from, starts[0]);
    long stop = Math.min(to, end);
    int i = Arrays.binarySearch(starts, t);
    i = i >= 0 ? i : -i - 2;
    while (t < stop) {
      long segmentEnd = i + 1 < starts.length ? Math.min(starts[i + 1], stop) : stop;
      out[reasons[i]] += segmentEnd - t;
      t = segmentEnd;
      i++;
    }
  }
}
