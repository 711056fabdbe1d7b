package io.mltrace.jfr;

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
    long best = Long.MAX_VALUE;
    long offset = 0;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      Instant now = Instant.now();
      long t1 = System.nanoTime();
      if (t1 - t0 < best) {
        best = t1 - t0;
        offset = epochNanos(now) - (t0 + (t1 - t0) / 2);
      }
    }
    epochMinusNano = offset;
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
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
