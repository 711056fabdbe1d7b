package io.mltrace.agent.control;

import io.mltrace.bootstrap.SamplingPolicy;

/** An on-demand window ({@code mltrace trace}) as the recorder sees it: step numbers, or a span of time. */
final class DetailWindow {
  private final boolean bySteps;
  private final long from;
  private final long to;

  private DetailWindow(boolean bySteps, long from, long to) {
    this.bySteps = bySteps;
    this.from = from;
    this.to = to;
  }

  /** Steps numbered {@code first} to {@code last}, inclusive. */
  static DetailWindow steps(long first, long last) {
    return new DetailWindow(true, first, last);
  }

  /** Steps opening at a {@link System#nanoTime} in [{@code start}, {@code end}). */
  static DetailWindow time(long start, long end) {
    return new DetailWindow(false, start, end);
  }

  SamplingPolicy applyTo(SamplingPolicy p) {
    return bySteps ? p.withStepWindow(from, to) : p.withTimeWindow(from, to);
  }
}
