package io.mltrace.collector;

/**
 * Which part of a step's figures is estimated rather than measured: the op time of a counted step that was not
 * timed (and DJL's backward GEMM on CPU), placed inside the spans that ran it; what did not fit there; and, in a
 * step that timed every op (a timed or a detailed step), the check of the estimates (what the counting path would have
 * estimated for the ops this step timed, against what they took).
 */
public final class Estimates {
  static final Estimates NONE = new Estimates(new long[Category.values().length], 0, 0, 0);

  private final long[] estimatedNs;
  private final long unplacedNs;
  private final long checkEstimatedNs;
  private final long checkMeasuredNs;

  private Estimates(long[] estimatedNs, long unplacedNs, long checkEstimatedNs, long checkMeasuredNs) {
    this.estimatedNs = estimatedNs;
    this.unplacedNs = unplacedNs;
    this.checkEstimatedNs = checkEstimatedNs;
    this.checkMeasuredNs = checkMeasuredNs;
  }

  /** The estimates of a step, each at most its category's time in the breakdown (a sweep may give part away). */
  static Estimates of(StepIntervals intervals, Breakdown breakdown) {
    long[] estimated = intervals.estimatedNs.clone();
    for (Category c : Category.values()) {
      estimated[c.ordinal()] = Math.min(estimated[c.ordinal()], breakdown.ns(c));
    }
    return new Estimates(estimated, intervals.unplacedNs, intervals.checkEstimatedNs, intervals.checkMeasuredNs);
  }

  /** The estimated part of the breakdown's time in {@code c} (the rest of it is measured). */
  public long estimatedNs(Category c) {
    return estimatedNs[c.ordinal()];
  }

  /** Estimated ns over all categories. */
  public long estimatedNs() {
    long sum = 0;
    for (long v : estimatedNs) {
      sum += v;
    }
    return sum;
  }

  /**
   * Op time, measured or estimated, that did not fit in the span that ran it and is in no category (the rest of
   * that span's time was taken by its child spans and the JVM).
   */
  public long unplacedNs() {
    return unplacedNs;
  }

  /** Steps that timed every op: what the counting path would have estimated for the ops this step timed; 0 otherwise. */
  public long checkEstimatedNs() {
    return checkEstimatedNs;
  }

  /** Steps that timed every op: what the ops that {@link #checkEstimatedNs} estimated measured; 0 otherwise. */
  public long checkMeasuredNs() {
    return checkMeasuredNs;
  }
}
