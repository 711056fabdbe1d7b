package io.mltrace.agent.control;

import io.mltrace.bootstrap.Recorder;
import java.util.Locale;

/**
 * An immutable recording policy: the mode, head sampling, tail sampling, and whether ops of detailed steps write
 * spans. {@link #lowered()} gives the next cheaper policy, the ladder the overhead guard walks down.
 */
public final class DetailPolicy {
  /** Past this, head sampling by count is considered off: the guard's floor. */
  static final long MAX_SAMPLE_EVERY = 1_000_000;

  final Mode mode;
  /** Head sampling by count: every n-th step (0: none). Used when {@link #sampleIntervalNanos} is 0. */
  final long sampleEvery;
  /** Head sampling by time: one step per interval (0: none). */
  final long sampleIntervalNanos;
  /** Tail sampling: keep the trace of steps slower than this percentile of recent steps (0: off). */
  final double tailPercentile;
  /** Recent steps the tail percentile is taken over. */
  final int tailWindow;
  final boolean opSpans;

  public DetailPolicy(Mode mode, long sampleEvery, long sampleIntervalNanos, double tailPercentile, int tailWindow,
      boolean opSpans) {
    this.mode = mode;
    this.sampleEvery = Math.max(0, sampleEvery);
    this.sampleIntervalNanos = Math.max(0, sampleIntervalNanos);
    this.tailPercentile = tailPercentile;
    this.tailWindow = Math.max(1, tailWindow);
    this.opSpans = opSpans;
  }

  public static DetailPolicy off() {
    return new DetailPolicy(Mode.OFF, 0, 0, 0, 1, true);
  }

  public Mode mode() {
    return mode;
  }

  boolean tailSampling() {
    return mode == Mode.DEFAULT && tailPercentile > 0;
  }

  /** Head sampling by count in effect (0: none). */
  long headEvery() {
    return mode == Mode.DEFAULT && sampleIntervalNanos == 0 ? sampleEvery : 0;
  }

  /** Head sampling by time in effect (0: none). */
  long headIntervalNanos() {
    return mode == Mode.DEFAULT ? sampleIntervalNanos : 0;
  }

  /** Sets the recorder's switches; {@code windowOpen} turns op timing and op spans on whatever the mode. */
  void applyTo(boolean windowOpen) {
    Recorder.setOpsTimed(mode != Mode.OFF || windowOpen);
    Recorder.setOpSpans(opSpans || windowOpen);
    Recorder.setHeadSampling(headEvery(), headIntervalNanos());
    Recorder.setDetailAll(mode == Mode.FULL || tailSampling());
  }

  /**
   * The next cheaper policy and what changed, or null when nothing cheaper keeps the counters: full becomes head
   * sampling of every 10th step; tail sampling goes; op spans go; then head sampling thins tenfold at a time.
   */
  DetailPolicy lowered() {
    switch (mode) {
      case OFF:
        return null;
      case FULL:
        return new DetailPolicy(Mode.DEFAULT, 10, 0, 0, tailWindow, opSpans);
      default:
        break;
    }
    if (tailSampling()) {
      return new DetailPolicy(mode, sampleEvery, sampleIntervalNanos, 0, tailWindow, opSpans);
    }
    if (opSpans && (headEvery() > 0 || headIntervalNanos() > 0)) {
      return new DetailPolicy(mode, sampleEvery, sampleIntervalNanos, 0, tailWindow, false);
    }
    if (sampleIntervalNanos > 0) {
      long longer = sampleIntervalNanos * 10;
      return longer > 3_600_000_000_000L ? counters() : new DetailPolicy(mode, 0, longer, 0, tailWindow, false);
    }
    if (sampleEvery > 0) {
      long rarer = sampleEvery * 10;
      return rarer > MAX_SAMPLE_EVERY ? counters() : new DetailPolicy(mode, rarer, 0, 0, tailWindow, false);
    }
    return null;
  }

  private DetailPolicy counters() {
    return new DetailPolicy(Mode.DEFAULT, 0, 0, 0, tailWindow, false);
  }

  /** A short description for status lines, such as {@code default: 1 step in 100, tail p99 of 200, op spans on}. */
  public String describe() {
    StringBuilder b = new StringBuilder(mode.key());
    if (mode == Mode.OFF) {
      return b.append(": step counters only").toString();
    }
    if (mode == Mode.FULL) {
      b.append(": every step detailed");
    } else if (headIntervalNanos() > 0) {
      b.append(": 1 step every ").append(String.format(Locale.ROOT, "%.3g", headIntervalNanos() / 1e9)).append(" s");
    } else if (headEvery() > 0) {
      b.append(": 1 step in ").append(headEvery());
    } else {
      b.append(": counters and breakdown only");
    }
    if (tailSampling()) {
      b.append(String.format(Locale.ROOT, ", tail p%s of %d", trim(tailPercentile), tailWindow));
    }
    return b.append(", op spans ").append(opSpans ? "on" : "off").toString();
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  @Override
  public String toString() {
    return describe();
  }
}
