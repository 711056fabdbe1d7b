package io.mltrace.collector;

import java.util.EnumMap;
import java.util.Map;

/**
 * When a memory level is a leak suspect: over the last {@link #window()} points of the series (steps that measured
 * it, after the first {@link #warmupSteps()} steps), the robust slope (Theil-Sen: the median of the slopes between
 * every pair of points) is at least the series' floor in bytes per step, and the series rose between at least
 * {@link #consistency()} of those pairs, so that one jump or noise around a flat level is not a trend.
 *
 * <p>Judged on the latest window only: memory that grows for a while and is then released (an array closed late,
 * but closed) stops being a suspect once its growth has left the window, and never is one when it is released
 * before the window fills. Immutable.
 */
public final class LeakRule {
  /** The default floor: 64 KiB per step, well above what a steady job's levels drift by. */
  public static final long DEFAULT_MIN_BYTES_PER_STEP = 64 * 1024;
  public static final LeakRule DEFAULT = new LeakRule(10, 64, 32, 0.8, DEFAULT_MIN_BYTES_PER_STEP,
      new EnumMap<>(MemorySeries.class));

  private final int warmupSteps;
  private final int window;
  private final int minPoints;
  private final double consistency;
  private final long minBytesPerStep;
  private final Map<MemorySeries, Long> floors;

  private LeakRule(int warmupSteps, int window, int minPoints, double consistency, long minBytesPerStep,
      Map<MemorySeries, Long> floors) {
    if (window < 3 || minPoints < 3 || minPoints > window || consistency <= 0.5 || consistency > 1
        || minBytesPerStep <= 0 || warmupSteps < 0) {
      throw new IllegalArgumentException("bad leak rule: window " + window + ", min points " + minPoints
          + ", consistency " + consistency + ", floor " + minBytesPerStep + ", warm-up " + warmupSteps);
    }
    this.warmupSteps = warmupSteps;
    this.window = window;
    this.minPoints = minPoints;
    this.consistency = consistency;
    this.minBytesPerStep = minBytesPerStep;
    this.floors = floors;
  }

  /** The same rule with another default floor (bytes per step). */
  public LeakRule withMinBytesPerStep(long bytes) {
    return new LeakRule(warmupSteps, window, minPoints, consistency, bytes, floors);
  }

  /** The same rule with a floor of its own for one series. */
  public LeakRule withFloor(MemorySeries series, long bytesPerStep) {
    Map<MemorySeries, Long> f = new EnumMap<>(MemorySeries.class);
    f.putAll(floors);
    f.put(series, bytesPerStep);
    return new LeakRule(warmupSteps, window, minPoints, consistency, minBytesPerStep, f);
  }

  /** The same rule judged on other windows: at most {@code window} points, at least {@code minPoints}. */
  public LeakRule withWindow(int warmupSteps, int window, int minPoints) {
    return new LeakRule(warmupSteps, window, minPoints, consistency, minBytesPerStep, floors);
  }

  public int warmupSteps() {
    return warmupSteps;
  }

  public int window() {
    return window;
  }

  public int minPoints() {
    return minPoints;
  }

  public double consistency() {
    return consistency;
  }

  /** The growth per step a series must reach to be a suspect. */
  public long floor(MemorySeries series) {
    return floors.getOrDefault(series, minBytesPerStep);
  }
}
