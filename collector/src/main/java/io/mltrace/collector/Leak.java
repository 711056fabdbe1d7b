package io.mltrace.collector;

import java.util.List;

/** A memory level that grows step after step ({@link LeakRule}), and where what outlives its steps was created. */
public final class Leak {
  private final MemorySeries series;
  private final double bytesPerStep;
  private final long fromStep;
  private final long toStep;
  private final int points;
  private final long firstSeenStep;
  private final List<MemorySite> sites;

  Leak(MemorySeries series, double bytesPerStep, long fromStep, long toStep, int points, long firstSeenStep,
      List<MemorySite> sites) {
    this.series = series;
    this.bytesPerStep = bytesPerStep;
    this.fromStep = fromStep;
    this.toStep = toStep;
    this.points = points;
    this.firstSeenStep = firstSeenStep;
    this.sites = List.copyOf(sites);
  }

  public MemorySeries series() {
    return series;
  }

  /** The robust growth per step over the window. */
  public double bytesPerStep() {
    return bytesPerStep;
  }

  /** The first step of the window judged. */
  public long fromStep() {
    return fromStep;
  }

  /** The last step of the window judged. */
  public long toStep() {
    return toStep;
  }

  /** Steps in the window that measured the series. */
  public int points() {
    return points;
  }

  /** The step at which the series first became a suspect. */
  public long firstSeenStep() {
    return firstSeenStep;
  }

  /**
   * Creation sites of what outlived its step and is still alive, counted in this series, largest first (from the
   * latest detailed step of each thread); empty when the series has no sites (the heap, JavaCPP's total).
   */
  public List<MemorySite> sites() {
    return sites;
  }

  @Override
  public String toString() {
    return series.key() + " +" + Math.round(bytesPerStep) + " B/step over steps " + fromStep + "-" + toStep
        + (sites.isEmpty() ? "" : ", top site " + sites.get(0));
  }
}
