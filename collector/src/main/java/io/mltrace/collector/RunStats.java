package io.mltrace.collector;

/** Counters of the collector itself, handed to sinks with each flush. */
public final class RunStats {
  private final long droppedRecords;
  private final long sinkErrors;
  private final long stepsDiscarded;

  RunStats(long droppedRecords, long sinkErrors, long stepsDiscarded) {
    this.droppedRecords = droppedRecords;
    this.sinkErrors = sinkErrors;
    this.stepsDiscarded = stepsDiscarded;
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
