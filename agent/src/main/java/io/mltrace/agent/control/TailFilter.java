package io.mltrace.agent.control;

import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.Arrays;

/**
 * Stands in front of a trace sink and decides which detailed steps it keeps. With tail sampling on, the hot path
 * records every step (a step's slowness is known only when it ends); this filter keeps a step's spans when head
 * sampling would have chosen it, when an on-demand window covers it, or when it was slower than the configured
 * percentile of the recent steps. Without tail sampling the hot path already decided, and every step passes.
 */
public final class TailFilter implements StepSink {
  /** Fewer recent steps than this: no percentile yet, so tail sampling keeps nothing. */
  static final int MIN_HISTORY = 20;

  private final StepSink trace;
  private final DetailControl control;
  private final WindowSinks windows;
  private long[] recent = new long[0];
  private int recentCount;
  private int recentNext;
  private long lastIntervalStart = Long.MIN_VALUE / 2;
  private long keptForTail;

  public TailFilter(StepSink trace, DetailControl control, WindowSinks windows) {
    this.trace = trace;
    this.control = control;
    this.windows = windows;
  }

  @Override
  public void onStep(Step step) {
    DetailPolicy p = control.policy();
    boolean slow = remember(step.wallNs(), p);
    if (!step.detailed() || !p.tailSampling()) {
      trace.onStep(step);
      return;
    }
    boolean head = p.headEvery() > 0 && step.number() % p.headEvery() == 0;
    if (p.headIntervalNanos() > 0 && step.startNs() - lastIntervalStart >= p.headIntervalNanos()) {
      lastIntervalStart = step.startNs();
      head = true;
    }
    if (head || slow || windows.covers(step)) {
      if (slow && !head) {
        keptForTail++;
      }
      trace.onStep(step);
    }
  }

  /** Adds the step to the history; true when it is slower than the percentile of the steps before it. */
  private boolean remember(long wallNs, DetailPolicy p) {
    if (!p.tailSampling()) {
      recentCount = 0;
      return false;
    }
    if (recent.length != p.tailWindow) {
      recent = new long[p.tailWindow];
      recentCount = 0;
      recentNext = 0;
    }
    boolean slow = recentCount >= Math.min(MIN_HISTORY, recent.length)
        && wallNs > percentile(p.tailPercentile);
    recent[recentNext] = wallNs;
    recentNext = (recentNext + 1) % recent.length;
    recentCount = Math.min(recentCount + 1, recent.length);
    return slow;
  }

  /** The nearest-rank percentile of the remembered step times. */
  long percentile(double pct) {
    long[] sorted = Arrays.copyOf(recent, recentCount);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(pct / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** Steps kept only because they were slow. */
  public long keptForTail() {
    return keptForTail;
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    trace.onSpanOutsideStep(span);
  }

  @Override
  public void flush(RunStats stats) {
    trace.flush(stats);
  }

  @Override
  public void close() {
    trace.close();
  }
}
