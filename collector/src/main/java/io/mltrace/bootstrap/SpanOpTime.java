package io.mltrace.bootstrap;

/**
 * Op time that no op record carries, kept per open span level until that span closes: the time of ops taken on
 * the counting path (steps that are not detailed), and of ops whose record could not be written. Level 0 is the
 * step itself (ops outside any span), level d the span open at depth d.
 *
 * <p>Why per level: a counted step still records its skeleton (phases, data fetches), and the collector places each
 * span's op time inside that span, so that GEMM time is never taken from a data fetch or from time outside the
 * framework call that ran it. A span that writes no record of its own (a layer, a span past a full ring) hands its
 * time to its parent ({@link #fold}).
 *
 * <p>Per class (GEMM, copy, other): measured ns, ns estimated by position, and what only a rate can estimate
 * (GEMM FLOPs, GEMMs without FLOPs, op counts), resolved with the thread's {@link OpCosts} when the span closes.
 * Beside them, mltrace's own work on the timed ops ({@link #timing}). Owning thread only.
 */
final class SpanOpTime {
  static final int GEMM = 0;
  static final int COPY = 1;
  static final int OTHER = 2;
  static final int CLASSES = 3;

  private static final int MEASURED = 0;
  private static final int BY_POSITION = MEASURED + CLASSES;
  private static final int UNTIMED_GEMM_FLOPS = BY_POSITION + CLASSES;
  private static final int UNTIMED_GEMMS_WITHOUT_FLOPS = UNTIMED_GEMM_FLOPS + 1;
  private static final int UNTIMED_COPIES = UNTIMED_GEMMS_WITHOUT_FLOPS + 1;
  private static final int UNTIMED_OTHERS = UNTIMED_COPIES + 1;
  private static final int TIMING = UNTIMED_OTHERS + 1;
  private static final int WIDTH = TIMING + 1;

  /** Longs {@link #resolve} writes: per class the total ns, then per class the estimated part of it. */
  static final int RESOLVED = 2 * CLASSES;

  private final long[] acc;
  /** Bit {@code min(level, 63)} set: the level may hold something (levels of 63 and more share the last bit). */
  private long dirty;

  SpanOpTime(int levels) {
    acc = new long[levels * WIDTH];
  }

  /** The class of an op of this {@link Kind}. */
  static int classOf(int kind) {
    return kind == Kind.OP_GEMM ? GEMM : kind == Kind.OP_COPY ? COPY : OTHER;
  }

  void measured(int level, int cls, long ns) {
    acc[level * WIDTH + MEASURED + cls] += ns;
    mark(level);
  }

  /** mltrace's own work on a timed op (after its end) that ran at {@code level}: {@link Slots#OP_TIMING_NS}. */
  void timing(int level, long ns) {
    if (ns > 0) {
      acc[level * WIDTH + TIMING] += ns;
      mark(level);
    }
  }

  void byPosition(int level, int cls, long ns) {
    acc[level * WIDTH + BY_POSITION + cls] += ns;
    mark(level);
  }

  /** An op that neither was timed nor had a position estimate: its rate estimate is made when the span closes. */
  void untimed(int level, int cls, long flops) {
    int base = level * WIDTH;
    if (cls == COPY) {
      acc[base + UNTIMED_COPIES]++;
    } else if (cls == OTHER) {
      acc[base + UNTIMED_OTHERS]++;
    } else if (flops > 0) {
      acc[base + UNTIMED_GEMM_FLOPS] += flops;
    } else {
      acc[base + UNTIMED_GEMMS_WITHOUT_FLOPS]++;
    }
    mark(level);
  }

  boolean holds(int level) {
    return (dirty & bit(level)) != 0;
  }

  /** Moves a level's time to its parent's level and clears it (its span writes no record). */
  void fold(int level) {
    if (!holds(level) || level == 0) {
      return;
    }
    int from = level * WIDTH;
    int to = from - WIDTH;
    for (int i = 0; i < WIDTH; i++) {
      acc[to + i] += acc[from + i];
      acc[from + i] = 0;
    }
    mark(level - 1);
    unmark(level);
  }

  /**
   * Writes the level's time into {@code out[offset...]} ({@link #RESOLVED} longs: total ns per class, then the
   * estimated part per class), with the untimed ops estimated at the thread's current rates, and mltrace's timing
   * work into {@code out[timingAt]}, and clears the level. Returns false (writing zeros) when the level holds nothing.
   */
  boolean resolve(int level, OpCosts costs, long[] out, int offset, int timingAt) {
    int base = level * WIDTH;
    if (!holds(level)) {
      for (int i = 0; i < RESOLVED; i++) {
        out[offset + i] = 0;
      }
      out[timingAt] = 0;
      return false;
    }
    out[timingAt] = acc[base + TIMING];
    long gemmByRate = costs.gemmNs(acc[base + UNTIMED_GEMM_FLOPS], acc[base + UNTIMED_GEMMS_WITHOUT_FLOPS]);
    long copyByRate = costs.otherNs(acc[base + UNTIMED_COPIES]);
    long otherByRate = costs.otherNs(acc[base + UNTIMED_OTHERS]);
    long[] byRate = {gemmByRate, copyByRate, otherByRate};
    for (int c = 0; c < CLASSES; c++) {
      long estimated = acc[base + BY_POSITION + c] + byRate[c];
      out[offset + c] = acc[base + MEASURED + c] + estimated;
      out[offset + CLASSES + c] = estimated;
    }
    clear(level);
    return true;
  }

  /** Forgets what a level holds. */
  void clear(int level) {
    if (!holds(level)) {
      return;
    }
    int base = level * WIDTH;
    for (int i = 0; i < WIDTH; i++) {
      acc[base + i] = 0;
    }
    unmark(level);
  }

  private void mark(int level) {
    dirty |= bit(level);
  }

  private void unmark(int level) {
    if (level < 63) {
      dirty &= ~bit(level);
    }
  }

  private static long bit(int level) {
    return 1L << Math.min(level, 63);
  }
}
