package io.mltrace.exporters.otel;

import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * The SDK's random ids, except for the next span started on a thread that chose its ids: a span that several JVMs
 * must agree on without talking (a cluster iteration's own span, {@link StepSpans#iterationParent}) gets the trace
 * id and span id every worker derives alike. The SDK asks for the span id, and for a root span the trace id, while
 * the span starts; a choice is used once.
 */
final class ChosenIds implements IdGenerator {
  private final IdGenerator random = IdGenerator.random();
  private final ThreadLocal<String[]> next = new ThreadLocal<>();

  /** The ids of the next root span started on this thread. */
  void choose(String traceId, String spanId) {
    next.set(new String[] {traceId, spanId});
  }

  @Override
  public String generateSpanId() {
    String id = take(1);
    return id != null ? id : random.generateSpanId();
  }

  @Override
  public String generateTraceId() {
    String id = take(0);
    return id != null ? id : random.generateTraceId();
  }

  /** The chosen id at {@code index} (0: trace, 1: span), once; null when none is chosen. */
  private String take(int index) {
    String[] chosen = next.get();
    if (chosen == null || chosen[index] == null) {
      return null;
    }
    String id = chosen[index];
    chosen[index] = null;
    if (chosen[1 - index] == null) {
      next.remove();
    }
    return id;
  }
}
