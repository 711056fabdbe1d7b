package io.mltrace.collector;

/** Counters of the collector itself, handed to sinks with each flush. */
public final class RunStats {
  private final long droppedRecords;
  private final long sinkErrors;
  private final long stepsDiscarded;
  private final long activitiesDropped;
  private final long stepsClosedBeforeSources;
  private final long sourceErrors;
  private final java.util.List<Leak> leaks;
  private final long gpuAllocationsUntracked;

  RunStats(long droppedRecords, long sinkErrors, long stepsDiscarded, long activitiesDropped,
      long stepsClosedBeforeSources, long sourceErrors, java.util.List<Leak> leaks, long gpuAllocationsUntracked) {
    this.leaks = leaks;
    this.gpuAllocationsUntracked = gpuAllocationsUntracked;
    this.droppedRecords = droppedRecords;
    this.sinkErrors = sinkErrors;
    this.stepsDiscarded = stepsDiscarded;
    this.activitiesDropped = activitiesDropped;
    this.stepsClosedBeforeSources = stepsClosedBeforeSources;
    this.sourceErrors = sourceErrors;
  }

  /** JVM or GPU activities dropped because the collector's bound on held activities was reached. */
  public long activitiesDropped() {
    return activitiesDropped;
  }

  /** Steps closed after the bounded wait, before every source had delivered up to their end. */
  public long stepsClosedBeforeSources() {
    return stepsClosedBeforeSources;
  }

  /** Memory series that are leak suspects now ({@link LeakFinder}), largest growth first. */
  public java.util.List<Leak> leaks() {
    return leaks;
  }

  /**
   * Device allocations left out of {@code gpu_live_bytes} and its sites because the collector's table of live
   * allocations was full (65,536); they still count in the steps' flows.
   */
  public long gpuAllocationsUntracked() {
    return gpuAllocationsUntracked;
  }

  /** Exceptions thrown by activity sources (each caught). */
  public long sourceErrors() {
    return sourceErrors;
  }

  /** Records the hot path dropped because a ring was full or spans nested too deep. */
  public long droppedRecords() {
    return droppedRecords;
  }

  /** Exceptions thrown by sinks (each caught). */
  public long sinkErrors() {
    return sinkErrors;
  }

  /** Spans held for steps that never closed, discarded when the collector's bound was reached. */
  public long stepsDiscarded() {
    return stepsDiscarded;
  }
}
