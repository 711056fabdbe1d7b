package io.mltrace.collector;

import java.util.List;

/**
 * A producer of {@link ExternalActivity}s that the collector merges into steps: JFR (JVM events), CUPTI (GPU).
 *
 * <p>Sources deliver late: JFR flushes about once a second, CUPTI when a buffer completes. The collector therefore
 * holds a closed step until every source reports {@link #completeUpToNs()} past the step's end (or a bounded wait
 * passes), then attaches the activities that overlap the step or were launched by one of its spans.
 */
public interface ActivitySource {
  /** A short name for messages and counters. */
  String name();

  /** Moves every activity available now into {@code out}. Called on the collector thread only. */
  void drainTo(List<ExternalActivity> out);

  /**
   * Every activity that ends before this time (agent clock) has been delivered by {@link #drainTo}. A source with
   * nothing pending may return {@link System#nanoTime()}; a source that has stopped returns {@link Long#MAX_VALUE}.
   */
  long completeUpToNs();

  /**
   * Until when (agent clock) the source delivers every device memory allocation and release
   * ({@link ActivityKind#isGpuMemory()}), so that each step ending by then gets the GPU memory series, zeros
   * included: {@link Long#MAX_VALUE} while it does, the time it stopped after that, {@link Long#MIN_VALUE} when it
   * never did. Read by the collector at every drain.
   */
  default long gpuMemoryMeasuredUntilNs() {
    return Long.MIN_VALUE;
  }

  /** Stops producing; called once at shutdown. */
  default void close() {}
}
