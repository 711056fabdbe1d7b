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
    return segments(stepStart, stepEnd, intervals).breakdown();
  }

  /** The step cut into segments, each owned by one category; for breakdowns and point look-ups. */
  public static Segments segments(long stepStart, long stepEnd, List<Interval> intervals) {
    int cats = Category.values().length;
    if (stepEnd <= stepStart) {
      return new Segments(new long[0], new byte[0], 0, stepStart, stepStart);
    }
    // Each boundary packs (time since step start, category, start or end) into one long, so that a primitive
    // sort orders them: bits 5+ time, bits 1-4 category, bit 0 set for a start.
    long[] events = new long[intervals.size() * 2];
    int n = 0;
    for (Interval iv : intervals) {
      long s = Math.max(iv.start, stepStart);
      long e = Math.min(iv.end, stepEnd);
      if (e <= s) {
        continue;
      }
      long c = iv.category.ordinal();
      events[n++] = ((s - stepStart) << 5) | (c << 1) | 1;
      events[n++] = ((e - stepStart) << 5) | (c << 1);
    }
    Arrays.sort(events, 0, n);
    long[] starts = new long[n + 1];
    byte[] owners = new byte[n + 1];
    int count = 0;
    int[] active = new int[cats];
    long cursor = stepStart;
    for (int i = 0; i < n; i++) {
      long time = stepStart + (events[i] >>> 5);
      if (time > cursor) {
        starts[count] = cursor;
        owners[count++] = (byte) top(active);
        cursor = time;
      }
      int c = (int) ((events[i] >>> 1) & 0xf);
      active[c] += (events[i] & 1) != 0 ? 1 : -1;
    }
    if (stepEnd > cursor) {
      starts[count] = cursor;
      owners[count++] = (byte) top(active);
    }
    return new Segments(starts, owners, count, stepStart, stepEnd);
  }

  /** A step's time cut into consecutive segments, each owned by the category that wins it. */
  public static final class Segments {
    private final long[] starts;
    private final byte[] owners;
    private final int count;
    private final long start;
    private final long end;

    Segments(long[] starts, byte[] owners, int count, long start, long end) {
      this.starts = starts;
      this.owners = owners;
      this.count = count;
      this.start = start;
      this.end = end;
    }

    /** Time per category; sums exactly to the step's wall time. */
    public Breakdown breakdown() {
      long[] ns = new long[Category.values().length];
      for (int i = 0; i < count; i++) {
        long segEnd = i + 1 < count ? starts[i + 1] : end;
        ns[owners[i]] += segEnd - starts[i];
      }
      return new Breakdown(ns);
    }

    /** Time per category ordinal inside {@code [from, to)}, clipped to the step. */
    long[] nsIn(long from, long to) {
      long[] ns = new long[Category.values().length];
      long lo = Math.max(from, start);
      long hi = Math.min(to, end);
      if (hi <= lo || count == 0) {
        return ns;
      }
      for (int i = indexAt(lo); i < count && starts[i] < hi; i++) {
        long segEnd = i + 1 < count ? starts[i + 1] : end;
        long overlap = Math.min(segEnd, hi) - Math.max(starts[i], lo);
        if (overlap > 0) {
          ns[owners[i]] += overlap;
        }
      }
      return ns;
    }

    /** The category owning instant {@code t}; unattributed outside the step. */
    public Category categoryAt(long t) {
      if (t < start || t >= end || count == 0) {
        return Category.UNATTRIBUTED;
      }
      return Category.values()[owners[indexAt(t)]];
    }

    /** The index of the segment holding {@code t}, for {@code t} inside the step. */
    private int indexAt(long t) {
      int lo = 0;
      int hi = count - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (starts[mid] <= t) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      return lo;
    }
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
