package io.mltrace.collector;

import java.time.Instant;

/**
 * The wall clock against the agent's clock ({@link System#nanoTime()}): epoch nanoseconds minus nanoTime, read as the
 * tightest of a few brackets. One place for what JFR's timestamps, the OTLP spans and a cluster's clock server need.
 */
public final class WallClock {
  private static final int TRIES = 5;

  private WallClock() {}

  /** Epoch nanoseconds minus {@link System#nanoTime()} now, within half the tightest of a few nanoTime brackets. */
  public static long epochMinusNanoTime() {
    long best = Long.MAX_VALUE;
    long offset = 0;
    for (int i = 0; i < TRIES; i++) {
      long t0 = System.nanoTime();
      Instant now = Instant.now();
      long t1 = System.nanoTime();
      if (t1 - t0 < best) {
        best = t1 - t0;
        offset = epochNanos(now) - (t0 + (t1 - t0) / 2);
      }
    }
    return offset;
  }

  /** An instant as epoch nanoseconds. */
  public static long epochNanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
