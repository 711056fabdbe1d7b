package io.mltrace.collector;

import java.util.Arrays;
import java.util.List;

/**
 * Splits a step's wall time into {@link Category}s from the intervals that overlap it.
 *
 * <p>Sweep line: the boundaries of all intervals (clipped to the step) cut the step into elementary segments; each
 * segment goes to the highest-priority category active over it ({@link Category} order), or to
 * {@link Category#UNATTRIBUTED} when none is. The segments tile the step, so the parts sum exactly to its wall
 * time. Intervals may nest, overlap and come in any order. O(n log n) in the number of intervals.
 */
public final class StepAccounting {
  private StepAccounting() {}

  /** An interval of time and the category it claims. */
  public static final class Interval {
    final long start;
    final long end;
    final Category category;

    public Interval(long start, long end, Category category) {
      this.start = start;
      this.end = end;
      this.category = category;
    }
  }

  /** The breakdown of the step {@code [stepStart, stepEnd)}. */
  public static Breakdown account(long stepStart, long stepEnd, List<Interval> intervals) {
    long[] ns = new long[Category.values().length];
    if (stepEnd <= stepStart) {
      return new Breakdown(ns);
    }
    // Events encoded as (time, +1/-1, category) in parallel arrays sorted by time.
    int n = 0;
    long[] times = new long[intervals.size() * 2];
    int[] deltas = new int[times.length];
    for (Interval iv : intervals) {
      long s = Math.max(iv.start, stepStart);
      long e = Math.min(iv.end, stepEnd);
      if (e <= s) {
        continue;
      }
      int c = iv.category.ordinal() + 1;
      times[n] = s;
      deltas[n++] = c;
      times[n] = e;
      deltas[n++] = -c;
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    final long[] t = times;
    Arrays.sort(order, (x, y) -> Long.compare(t[x], t[y]));

    int[] active = new int[Category.values().length];
    long cursor = stepStart;
    for (int i = 0; i < n; i++) {
      int ev = order[i];
      long time = times[ev];
      if (time > cursor) {
        ns[top(active)] += time - cursor;
        cursor = time;
      }
      int d = deltas[ev];
      if (d > 0) {
        active[d - 1]++;
      } else {
        active[-d - 1]--;
      }
    }
    ns[top(active)] += stepEnd - cursor;
    return new Breakdown(ns);
  }

  /**
   * The breakdown of a step recorded with counters only (not sampled): the JVM intervals that overlap it (GC,
   * safepoints, waits) take their time first, then the counters name GEMM, other ops and data within what is
   * left, and the rest is unattributed (the counters cannot tell framework time from time outside any call).
   */
  public static Breakdown fromCounters(long wallNs, long gemmNs, long otherOpNs, long dataNs,
      List<Interval> jvmIntervals, long stepStart, long stepEnd) {
    long[] ns = account(stepStart, stepEnd, jvmIntervals).copy();
    long left = ns[Category.UNATTRIBUTED.ordinal()];
    long gemm = clamp(gemmNs, left);
    long other = clamp(otherOpNs, left - gemm);
    long data = clamp(dataNs, left - gemm - other);
    ns[Category.GEMM.ordinal()] += gemm;
    ns[Category.OTHER_COMPUTE.ordinal()] += other;
    ns[Category.DATA.ordinal()] += data;
    ns[Category.UNATTRIBUTED.ordinal()] = left - gemm - other - data;
    return new Breakdown(ns);
  }

  /** The breakdown of a counters-only step without JVM intervals. */
  public static Breakdown fromCounters(long wallNs, long gemmNs, long otherOpNs, long dataNs) {
    return fromCounters(wallNs, gemmNs, otherOpNs, dataNs, List.of(), 0, wallNs);
  }

  /** The category that owns instant {@code t}: the highest-priority interval covering it, else unattributed. */
  public static Category categoryAt(long t, List<Interval> intervals) {
    int best = Category.UNATTRIBUTED.ordinal();
    for (Interval iv : intervals) {
      if (iv.start <= t && t < iv.end && iv.category.ordinal() < best) {
        best = iv.category.ordinal();
      }
    }
    return Category.values()[best];
  }

  private static long clamp(long v, long max) {
    return Math.max(0, Math.min(v, max));
  }

  private static int top(int[] active) {
    for (int i = 0; i < active.length; i++) {
      if (active[i] > 0) {
        return i;
      }
    }
    return Category.UNATTRIBUTED.ordinal();
  }
}
