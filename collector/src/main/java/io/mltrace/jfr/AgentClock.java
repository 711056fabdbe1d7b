package io.mltrace.jfr;

import io.mltrace.collector.WallClock;
import java.time.Instant;

/**
 * Converts wall-clock instants (JFR's timestamps) to the agent's clock, {@link System#nanoTime()}.
 *
 * <p>The offset between the two clocks is measured as the reading with the tightest {@code nanoTime} bracket over a
 * few tries, and re-measured by {@link #recalibrate()} (at each JFR flush) so that a slewing wall clock does not
 * drift the timeline.
 */
final class AgentClock {
  private volatile long epochMinusNano;

  AgentClock() {
    recalibrate();
  }

  void recalibrate() {
    epochMinusNano = WallClock.epochMinusNanoTime();
  }

  long toNano(Instant instant) {
    return epochNanos(instant) - epochMinusNano;
  }

  /** The wall-clock instant of an agent-clock time. */
  Instant toInstant(long nanoTime) {
    long epoch = nanoTime + epochMinusNano;
    return Instant.ofEpochSecond(Math.floorDiv(epoch, 1_000_000_000L), Math.floorMod(epoch, 1_000_000_000L));
  }

  static long epochNanos(Instant i) {
    return WallClock.epochNanos(i);
  }
}
