package io.mltrace.bootstrap;

/**
 * The forward GEMM work since the step opened or the last backward pass: the base of the backward pass's GEMM
 * estimate ({@link Recorder#exitBackward}). Timed GEMMs count their ns; untimed ones (counted steps) their position
 * estimate, or FLOPs and counts that the thread's {@link OpCosts} rates turn into ns when the window closes.
 *
 * <p>Owning thread only.
 */
final class BackwardWindow {
  private long flops;
  private long measuredNs;
  private long estimatedNs;
  private long untimedFlops;
  private long untimedWithoutFlops;

  void clear() {
    flops = 0;
    measuredNs = 0;
    estimatedNs = 0;
    untimedFlops = 0;
    untimedWithoutFlops = 0;
  }

  void timed(long gemmFlops, long ns) {
    flops += gemmFlops;
    measuredNs += ns;
  }

  /** An untimed GEMM that a position estimate knew. */
  void estimated(long gemmFlops, long ns) {
    flops += gemmFlops;
    estimatedNs += ns;
  }

  /** An untimed GEMM left for the rates. */
  void untimed(long gemmFlops) {
    flops += gemmFlops;
    if (gemmFlops > 0) {
      untimedFlops += gemmFlops;
    } else {
      untimedWithoutFlops++;
    }
  }

  long flops() {
    return flops;
  }

  /** The window's GEMM time: measured, plus the untimed GEMMs' estimate. */
  long ns(OpCosts rates) {
    return measuredNs + estimatedNs + rates.gemmNs(untimedFlops, untimedWithoutFlops);
  }
}
