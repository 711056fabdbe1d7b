package io.mltrace.collector;

/**
 * Receives what the collector assembles. Every method is called on the collector thread, one call at a time.
 * An exception thrown by a sink is caught and counted by the collector; the sink keeps receiving.
 */
public interface StepSink {
  /** A step closed. */
  void onStep(Step step);

  /** A span recorded outside any training step (model initialisation, evaluation, inference). */
  default void onSpanOutsideStep(Span span) {}

  /** Write what has been received so far (report interval, and once at exit before {@link #close}). */
  default void flush(RunStats stats) {}

  /** The run ended; release resources. */
  default void close() {}
}
