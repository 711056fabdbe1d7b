package io.mltrace.bootstrap;

/**
 * The detail rules that the hot path reads when a step opens and when an op enters: which steps are detailed (every
 * step, every n-th, one per interval, an on-demand window by number or by time), whether ops are timed at all and
 * write records of their own, how many ops a counted step times, and which detailed steps run the engine's profiler.
 *
 * <p>Immutable, and published whole through {@link Sampling}'s one volatile reference: a step never opens under
 * half of a change (a window's first step without its last, or the new head sampling with the old window). In the
 * agent only {@code DetailControl} installs policies; tests and benchmarks install their own.
 */
public final class SamplingPolicy {
  /** What the recorder does before anyone configures it: every step detailed, ops timed and recorded. */
  public static final SamplingPolicy DEFAULT = new SamplingPolicy(true, true, false, 1, 0, 16, 0, Long.MAX_VALUE, -1,
      Long.MAX_VALUE, Long.MIN_VALUE);

  /** False in the cheapest mode: ops cost one volatile read and are neither timed nor counted. */
  final boolean opsTimed;
  /** False: ops of detailed steps are timed and counted but write no record of their own. */
  final boolean opSpans;
  /** True: every step is detailed (full mode, or tail sampling, which needs every step's spans). */
  final boolean detailAll;
  /** Head sampling by count: every n-th step (0: none). */
  final long sampleEvery;
  /** Head sampling by time: the first step after each interval (0: none). */
  final long sampleIntervalNanos;
  /** In steps that are not detailed, one outermost op in this many (on average) is timed; 1: every op. */
  final int opTimingEvery;
  /** The engine's profiler runs in every n-th step, detailed ones only (0: never). */
  final long profileEvery;
  /** An on-demand window by step number, inclusive; empty when first > last. */
  final long windowFirstStep;
  final long windowLastStep;
  /** An on-demand window by time: steps opening at a {@link System#nanoTime} in [start, end). */
  final long windowStartNanos;
  final long windowEndNanos;

  private SamplingPolicy(boolean opsTimed, boolean opSpans, boolean detailAll, long sampleEvery,
      long sampleIntervalNanos, int opTimingEvery, long profileEvery, long windowFirstStep, long windowLastStep,
      long windowStartNanos, long windowEndNanos) {
    this.opsTimed = opsTimed;
    this.opSpans = opSpans;
    this.detailAll = detailAll;
    this.sampleEvery = sampleEvery;
    this.sampleIntervalNanos = sampleIntervalNanos;
    this.opTimingEvery = opTimingEvery;
    this.profileEvery = profileEvery;
    this.windowFirstStep = windowFirstStep;
    this.windowLastStep = windowLastStep;
    this.windowStartNanos = windowStartNanos;
    this.windowEndNanos = windowEndNanos;
  }

  /** Whether ops are timed and counted at all (false: the cheapest mode, step counters only). */
  public SamplingPolicy withOpsTimed(boolean on) {
    return new SamplingPolicy(on, opSpans, detailAll, sampleEvery, sampleIntervalNanos, opTimingEvery, profileEvery,
        windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /** Whether ops of detailed steps write records (false: their time still counts in the step's breakdown). */
  public SamplingPolicy withOpSpans(boolean on) {
    return new SamplingPolicy(opsTimed, on, detailAll, sampleEvery, sampleIntervalNanos, opTimingEvery, profileEvery,
        windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /** Every step detailed, whatever the head sampling says (full mode; tail sampling). */
  public SamplingPolicy withDetailAll(boolean on) {
    return new SamplingPolicy(opsTimed, opSpans, on, sampleEvery, sampleIntervalNanos, opTimingEvery, profileEvery,
        windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /**
   * Head sampling: a detailed step every {@code every} steps (0: none by count) and one every {@code intervalNanos}
   * (0: none by time).
   */
  public SamplingPolicy withHeadSampling(long every, long intervalNanos) {
    return new SamplingPolicy(opsTimed, opSpans, detailAll, Math.max(0, every), Math.max(0, intervalNanos),
        opTimingEvery, profileEvery, windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /** Head sampling by count only: every {@code n}-th step detailed (at least 1: every step). */
  public SamplingPolicy withSampleEvery(long n) {
    return withHeadSampling(Math.max(1, n), sampleIntervalNanos);
  }

  /**
   * In steps that are not detailed, time one outermost op in {@code n} on average, at random, and estimate the
   * others from what the timed ops of the thread showed (1 times every op: exact, at two clock reads per op).
   * Applies from the next step that opens.
   */
  public SamplingPolicy withOpTimingEvery(int n) {
    return new SamplingPolicy(opsTimed, opSpans, detailAll, sampleEvery, sampleIntervalNanos, Math.max(1, n),
        profileEvery, windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /** Drive the engine's profiler in every n-th step, detailed ones only (0: never); see {@link EngineProfile}. */
  public SamplingPolicy withProfileEvery(long n) {
    return new SamplingPolicy(opsTimed, opSpans, detailAll, sampleEvery, sampleIntervalNanos, opTimingEvery,
        Math.max(0, n), windowFirstStep, windowLastStep, windowStartNanos, windowEndNanos);
  }

  /** Details the steps numbered {@code first} to {@code last} inclusive (and no window by time). */
  public SamplingPolicy withStepWindow(long first, long last) {
    return new SamplingPolicy(opsTimed, opSpans, detailAll, sampleEvery, sampleIntervalNanos, opTimingEvery,
        profileEvery, first, last, Long.MAX_VALUE, Long.MIN_VALUE);
  }

  /** Details the steps that open at a {@link System#nanoTime} in [{@code start}, {@code end}) (and no window by number). */
  public SamplingPolicy withTimeWindow(long start, long end) {
    return new SamplingPolicy(opsTimed, opSpans, detailAll, sampleEvery, sampleIntervalNanos, opTimingEvery,
        profileEvery, Long.MAX_VALUE, -1, start, end);
  }

  /** No on-demand window. */
  public SamplingPolicy withoutWindow() {
    return withTimeWindow(Long.MAX_VALUE, Long.MIN_VALUE);
  }

  public boolean opsTimed() {
    return opsTimed;
  }

  public boolean opSpans() {
    return opSpans;
  }

  public boolean detailAll() {
    return detailAll;
  }

  public int opTimingEvery() {
    return opTimingEvery;
  }

  /**
   * True when the rules by number alone (every step, the window by number, every n-th step) detail this step;
   * {@code iterationOffset} moves the every-n-th rule onto the framework's iterations ({@link Sampling}).
   */
  boolean detailsByNumber(long stepNumber, long iterationOffset) {
    if (detailAll || stepNumber >= windowFirstStep && stepNumber <= windowLastStep) {
      return true;
    }
    return sampleEvery > 0 && Math.floorMod(stepNumber + iterationOffset, sampleEvery) == 0;
  }

  boolean inTimeWindow(long now) {
    return now >= windowStartNanos && now < windowEndNanos;
  }

  @Override
  public String toString() {
    return "SamplingPolicy[opsTimed=" + opsTimed + ", opSpans=" + opSpans + ", detailAll=" + detailAll
        + ", sampleEvery=" + sampleEvery + ", sampleIntervalNanos=" + sampleIntervalNanos + ", opTimingEvery="
        + opTimingEvery + ", profileEvery=" + profileEvery + ", steps " + windowFirstStep + ".." + windowLastStep
        + ", nanos " + windowStartNanos + ".." + windowEndNanos + "]";
  }
}
