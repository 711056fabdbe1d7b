package io.mltrace.bootstrap;

/**
 * A thread's engine-profiler state for its current step (a detailed step chosen by
 * {@link SamplingPolicy#withProfileEvery}): whether the profiler runs, when it started (its event times count from
 * there), and the backward pass whose GEMMs {@link EngineProfile#merge} adds from the profile.
 *
 * <p>Owning thread only.
 */
final class ProfiledStep {
  private boolean on;
  private long originNs;
  private long backwardSpanId;
  private long backwardStartNs;
  private long backwardEndNs;

  void reset(boolean profiled) {
    on = profiled;
    originNs = 0;
    backwardSpanId = 0;
  }

  boolean on() {
    return on;
  }

  void started(long nanoTime) {
    originNs = nanoTime;
  }

  long originNs() {
    return originNs;
  }

  void backward(long spanId, long start, long end) {
    backwardSpanId = spanId;
    backwardStartNs = start;
    backwardEndNs = end;
  }

  long backwardSpanId() {
    return backwardSpanId;
  }

  long backwardStartNs() {
    return backwardStartNs;
  }

  long backwardEndNs() {
    return backwardEndNs;
  }
}
