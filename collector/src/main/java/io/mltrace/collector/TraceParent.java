package io.mltrace.collector;

import io.mltrace.bootstrap.TraceContext;

/**
 * The application's span that was current when the step's training loop started: the step's span becomes its child,
 * so that the step joins the application's trace.
 *
 * @param traceId 32 lower-case hex digits, as OpenTelemetry writes it
 * @param spanId 16 lower-case hex digits
 * @param sampled the application's sampling decision for its trace
 */
public record TraceParent(String traceId, String spanId, boolean sampled) {
  /** The parent of a {@code Kind.LOOP_CONTEXT} record; null when it says no span was current. */
  static TraceParent fromRecord(long[] r, int base) {
    long high = r[base + TraceContext.TRACE_ID_HIGH];
    long low = r[base + TraceContext.TRACE_ID_LOW];
    if (high == 0 && low == 0) {
      return null;
    }
    return new TraceParent(hex(high) + hex(low), hex(r[base + TraceContext.SPAN_ID]),
        (r[base + TraceContext.FLAGS] & 1) != 0);
  }

  private static String hex(long v) {
    String s = Long.toHexString(v);
    return "0000000000000000".substring(s.length()) + s;
  }
}
