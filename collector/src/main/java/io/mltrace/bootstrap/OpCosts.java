package io.mltrace.bootstrap;

import java.util.Arrays;

/**
 * What one thread's ops have cost recently, learned from the ops it timed, to estimate the ops a step that is not
 * detailed did not time (see {@link SamplingPolicy#withOpTimingEvery}).
 *
 * <p>First choice, by position: a training loop runs the same ops in the same order every step, so the op at
 * position k of this step is most likely the op at position k of the steps before. Each position remembers the
 * name and FLOPs of its op and its last three timed samples; an untimed op is estimated from its position when
 * name and FLOPs match, as the mean of its last {@link #SAMPLES} samples, leaving out those over
 * {@link #POSITION_OUTLIER_FACTOR} times their median, so that a single slow sample (a first call, a thread
 * descheduled inside the op) does not become the estimate. Not the median: an op's times are skewed to the right
 * (the odd cache miss or interrupt), and the median of such samples underestimates the total of many ops (by 10-15 %
 * for DJL's short ops, measured against timing every op). A GEMM's time is
 * not proportional to its FLOPs (a small one is mostly fixed cost) and a loop mixes sizes, which is why the
 * position, not a rate per FLOP, comes first.
 *
 * <p>Fallback, by rate: nanoseconds per GEMM FLOP, per GEMM without FLOPs and per other op, over the last
 * {@link #WINDOW} timed ops of each kind, leaving out samples that cost over {@link #OUTLIER_FACTOR} times the
 * window's median per unit (a first call that loads classes, a thread descheduled inside a timed op).
 *
 * <p>Owning thread only, like the rest of {@link ThreadRecorder}'s producer state.
 */
final class OpCosts {
  static final int WINDOW = 32;
  static final double OUTLIER_FACTOR = 32;
  /** Positions remembered per thread: steps with more outermost ops estimate the rest by rate. */
  static final int MAX_POSITIONS = 16_384;

  static final int SAMPLES = 4;
  static final double POSITION_OUTLIER_FACTOR = 4;
  /** Per position: the estimate (0: none yet), the op's FLOPs and name, and its last samples (a ring). */
  private long[] positionNs = new long[0];
  private long[] positionFlops = new long[0];
  private String[] positionName = new String[0];
  private long[] positionSamples = new long[0];
  private int[] positionSeen = new int[0];

  private final Rate gemmPerFlop = new Rate();
  private final Rate gemmWithoutFlops = new Rate();
  private final Rate other = new Rate();

  /**
   * A timed outermost op inside a step: {@code elapsedNs} for the op {@code name} with {@code flops} (0: unknown) at
   * {@code position} (its index among the step's outermost ops).
   */
  void learn(int position, String name, boolean gemm, long flops, long elapsedNs) {
    if (elapsedNs < 0) {
      return;
    }
    if (position >= 0 && position < MAX_POSITIONS) {
      if (position >= positionNs.length) {
        grow(position);
      }
      if (!sameName(positionName[position], name) || positionFlops[position] != flops) {
        positionName[position] = name;
        positionFlops[position] = flops;
        positionSeen[position] = 0;
      }
      int seen = positionSeen[position]++;
      int base = position * SAMPLES;
      positionSamples[base + seen % SAMPLES] = Math.max(1, elapsedNs);
      positionNs[position] = typical(base, Math.min(seen + 1, SAMPLES));
    }
    if (!gemm) {
      other.add(elapsedNs, 1);
    } else if (flops > 0) {
      gemmPerFlop.add(elapsedNs, flops);
    } else {
      gemmWithoutFlops.add(elapsedNs, 1);
    }
  }

  /** The estimated time of an untimed op at {@code position}, or -1 when that position last held another op. */
  long recall(int position, String name, long flops) {
    if (position < 0 || position >= positionNs.length || !sameName(positionName[position], name)
        || positionFlops[position] != flops || positionNs[position] == 0) {
      return -1;
    }
    return positionNs[position];
  }

  /**
   * Op names are constants in DJL's advice (the same object every call), but an ND4J op may build its name each
   * time ({@code DynamicCustomOp.opName()}): identity first, then equality.
   */
  private static boolean sameName(String known, String name) {
    return known == name || known != null && known.equals(name);
  }

  /** The mean of {@code n} samples, leaving out those over the outlier factor times their (lower) median. */
  private long typical(int base, int n) {
    long median = lowerMedian(base, n);
    double limit = median * POSITION_OUTLIER_FACTOR;
    long sum = 0;
    int kept = 0;
    for (int i = 0; i < n; i++) {
      long v = positionSamples[base + i];
      if (v <= limit) {
        sum += v;
        kept++;
      }
    }
    return kept > 0 ? sum / kept : median;
  }

  /** The k-th smallest of n (at most {@link #SAMPLES}) samples, k = (n - 1) / 2; no allocation. */
  private long lowerMedian(int base, int n) {
    int k = (n - 1) / 2;
    for (int i = 0; i < n; i++) {
      long v = positionSamples[base + i];
      int smaller = 0;
      int equalBefore = 0;
      for (int j = 0; j < n; j++) {
        long w = positionSamples[base + j];
        if (w < v) {
          smaller++;
        } else if (w == v && j < i) {
          equalBefore++;
        }
      }
      if (smaller + equalBefore == k) {
        return v;
      }
    }
    return positionSamples[base];
  }

  private void grow(int position) {
    int size = Math.max(64, positionNs.length);
    while (size <= position) {
      size *= 2;
    }
    size = Math.min(size, MAX_POSITIONS);
    positionNs = Arrays.copyOf(positionNs, size);
    positionFlops = Arrays.copyOf(positionFlops, size);
    positionName = Arrays.copyOf(positionName, size);
    positionSamples = Arrays.copyOf(positionSamples, size * SAMPLES);
    positionSeen = Arrays.copyOf(positionSeen, size);
  }

  /**
   * Estimated time, by rate, of untimed GEMM ops that no position knew: {@code flops} of them with known FLOPs,
   * {@code withoutFlops} more without. 0 for a kind no timed op has taught yet.
   */
  long gemmNs(long flops, long withoutFlops) {
    double ns = 0;
    if (flops > 0) {
      ns += flops * gemmPerFlop.nsPerUnit();
    }
    if (withoutFlops > 0) {
      ns += withoutFlops * gemmWithoutFlops.nsPerUnit();
    }
    return (long) ns;
  }

  /** Estimated time, by rate, of {@code ops} untimed other ops that no position knew; 0 before any was timed. */
  long otherNs(long ops) {
    return ops > 0 ? (long) (ops * other.nsPerUnit()) : 0;
  }

  /** Nanoseconds per unit (a FLOP, or an op) over a window of recent samples, outliers left out. */
  static final class Rate {
    private final long[] ns = new long[WINDOW];
    private final long[] units = new long[WINDOW];
    private final double[] scratch = new double[WINDOW];
    private int size;
    private int next;
    private double nsPerUnit;
    private boolean stale;

    void add(long sampleNs, long sampleUnits) {
      ns[next] = sampleNs;
      units[next] = sampleUnits;
      next = (next + 1) % WINDOW;
      if (size < WINDOW) {
        size++;
      }
      stale = true;
    }

    /** Computed when asked, and only if a sample came in since: a sort of at most {@link #WINDOW} values. */
    double nsPerUnit() {
      if (stale) {
        stale = false;
        nsPerUnit = compute();
      }
      return nsPerUnit;
    }

    private double compute() {
      if (size == 0) {
        return 0;
      }
      for (int i = 0; i < size; i++) {
        scratch[i] = (double) ns[i] / units[i];
      }
      Arrays.sort(scratch, 0, size);
      double limit = scratch[size / 2] * OUTLIER_FACTOR;
      double sumNs = 0;
      double sumUnits = 0;
      for (int i = 0; i < size; i++) {
        if ((double) ns[i] / units[i] <= limit) {
          sumNs += ns[i];
          sumUnits += units[i];
        }
      }
      return sumUnits > 0 ? sumNs / sumUnits : 0;
    }
  }
}
