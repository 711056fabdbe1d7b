package io.mltrace.bootstrap;

/**
 * The check of the counting path's estimates, kept in the steps that time every op (timed steps, and detailed steps
 * after a thread's first {@link OpPath#WARM_STEPS}): what the counting path would have estimated for each op (asked
 * before the op teaches the rates), against what the op took. Written to the step's {@link Kind#STEP_OPS} record; the
 * collector reports it as {@code estimate_check}.
 *
 * <p>Owning thread only.
 */
final class EstimateCheck {
  private long estimatedNs;
  private long measuredNs;
  private long untimedGemmFlops;
  private long untimedGemmsWithoutFlops;
  private long untimedOthers;

  void clear() {
    estimatedNs = 0;
    measuredNs = 0;
    untimedGemmFlops = 0;
    untimedGemmsWithoutFlops = 0;
    untimedOthers = 0;
  }

  /** One op: {@code estimate} is what a position knew (-1: nothing, the rates decide when the step closes). */
  void add(long estimate, boolean gemm, long flops, long elapsedNs) {
    if (estimate >= 0) {
      estimatedNs += estimate;
    } else if (!gemm) {
      untimedOthers++;
    } else if (flops > 0) {
      untimedGemmFlops += flops;
    } else {
      untimedGemmsWithoutFlops++;
    }
    measuredNs += elapsedNs;
  }

  long measuredNs() {
    return measuredNs;
  }

  long estimatedNs(OpCosts rates) {
    return estimatedNs + rates.gemmNs(untimedGemmFlops, untimedGemmsWithoutFlops) + rates.otherNs(untimedOthers);
  }
}
