package io.mltrace.exporters.testing;

import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;

/**
 * Hands every step and span to another sink but not the collector's writes, keeping the last stats instead: that sink
 * is then written once, at the end, with the stats of the last write ({@link #lastStats}), against a sink written at
 * every collector's close.
 */
public final class FedAlong implements StepSink {
  private final StepSink sink;
  private RunStats lastStats;

  public FedAlong(StepSink sink) {
    this.sink = sink;
  }

  @Override
  public void onStep(Step step) {
    sink.onStep(step);
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    sink.onSpanOutsideStep(span);
  }

  @Override
  public void flush(RunStats stats) {
    lastStats = stats;
  }

  public RunStats lastStats() {
    return lastStats;
  }
}
