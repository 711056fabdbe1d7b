package io.mltrace.agent.control;

import io.mltrace.bootstrap.SamplingPolicy;
import java.util.Locale;

/**
 * An immutable recording policy: the mode, head sampling, tail sampling, whether ops of detailed steps write
 * spans, how many ops a counted step times, and which detailed steps run the engine's profiler.
 * {@link #lowered()} gives the next cheaper policy, the ladder the overhead guard walks down;
 * {@link #toSampling} the recorder's {@link SamplingPolicy} that {@link DetailControl} installs.
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
  /** In counted steps, one op in this many (on average) is timed. */
  final int opTimingEvery;
  /** The engine's profiler runs in every n-th detailed step (0: never). */
  final long profileEvery;

  public DetailPolicy(Mode mode, long sampleEvery, long sampleIntervalNanos, double tailPercentile, int tailWindow,
      boolean opSpans) {
    this(mode, sampleEvery, sampleIntervalNanos, tailPercentile, tailWindow, opSpans,
        SamplingPolicy.DEFAULT.opTimingEvery(), 0);
  }

  private DetailPolicy(Mode mode, long sampleEvery, long sampleIntervalNanos, double tailPercentile, int tailWindow,
      boolean opSpans, int opTimingEvery, long profileEvery) {
    this.opTimingEvery = Math.max(1, opTimingEvery);
    this.profileEvery = Math.max(0, profileEvery);
    this.mode = mode;
    this.sampleEvery = Math.max(0, sampleEvery);
    this.sampleIntervalNanos = Math.max(0, sampleIntervalNanos);
    this.tailPercentile = tailPercentile;
    this.tailWindow = Math.max(1, tailWindow);
    this.opSpans = opSpans;
  }

  /** This policy, timing one op in {@code every} in counted steps and profiling every n-th detailed step. */
  public DetailPolicy withOpTiming(int every, long profileEveryNth) {
    return new DetailPolicy(mode, sampleEvery, sampleIntervalNanos, tailPercentile, tailWindow, opSpans, every,
        profileEveryNth);
  }

  private DetailPolicy with(Mode m, long every, long intervalNanos, double tail, boolean spans) {
    return new DetailPolicy(m, every, intervalNanos, tail, tailWindow, spans, opTimingEvery, profileEvery);
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

  /**
   * The recorder's policy under this one, with an on-demand window if one is open ({@code null}: none); an open
   * window turns op timing and op spans on whatever the mode.
   */
  SamplingPolicy toSampling(DetailWindow window) {
    boolean windowOpen = window != null;
    SamplingPolicy p = SamplingPolicy.DEFAULT
        .withOpsTimed(mode != Mode.OFF || windowOpen)
        .withOpSpans(opSpans || windowOpen)
        .withHeadSampling(headEvery(), headIntervalNanos())
        .withDetailAll(mode == Mode.FULL || tailSampling())
        .withOpTimingEvery(opTimingEvery)
        .withProfileEvery(profileEvery);
    return windowOpen ? window.applyTo(p) : p.withoutWindow();
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
        return with(Mode.DEFAULT, 10, 0, 0, opSpans);
      default:
        break;
    }
    if (tailSampling()) {
      return with(mode, sampleEvery, sampleIntervalNanos, 0, opSpans);
    }
    if (opSpans && (headEvery() > 0 || headIntervalNanos() > 0)) {
      return with(mode, sampleEvery, sampleIntervalNanos, 0, false);
    }
    if (sampleIntervalNanos > 0) {
      long longer = sampleIntervalNanos * 10;
      return longer > 3_600_000_000_000L ? counters() : with(mode, 0, longer, 0, false);
    }
    if (sampleEvery > 0) {
      long rarer = sampleEvery * 10;
      return rarer > MAX_SAMPLE_EVERY ? counters() : with(mode, rarer, 0, 0, false);
    }
    return null;
  }

  private DetailPolicy counters() {
    return with(Mode.DEFAULT, 0, 0, 0, false);
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
