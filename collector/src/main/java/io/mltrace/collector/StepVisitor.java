package io.mltrace.collector;

/**
 * Reads one finished {@link Step} part by part ({@link Step#accept}): the step, its spans with their parents, its
 * GPU records with the spans that launched them, and its JVM intervals. The exporters that lay a step out (the
 * Chrome trace, the OTLP spans, the report's timeline) are visitors, so each sees the same tree, the same launcher
 * of each GPU record and the same JVM events, in the same order.
 *
 * <p>Order: {@link #step}, then every span in start order (each parent before its children), then the step's
 * activities in the order the collector placed them (GPU records and JVM intervals; execution samples are not
 * visited: they claim no time), then {@link #end}.
 */
public interface StepVisitor {
  /** The step, before its parts. */
  default void step(Step step) {}

  /**
   * A recorded span of a detailed step.
   *
   * @param parent the enclosing span, or null for a span directly under the step
   * @param depth 1 directly under the step, 2 inside such a span, and so on
   */
  default void span(Span span, Span parent, int depth) {}

  /** A GPU record (kernel, copy, memset), with the span that launched it, or null when none of this step did. */
  default void gpu(ExternalActivity record, Span launcher) {}

  /**
   * A JVM interval placed in the step: on its thread or stopping all threads (GC pause, safepoint, park, class
   * load), or a compilation on a compiler thread.
   */
  default void jvm(ExternalActivity event) {}

  /** After every part. */
  default void end(Step step) {}
}
