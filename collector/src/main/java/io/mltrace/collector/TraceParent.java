package io.mltrace.collector;

import io.mltrace.bootstrap.TraceContext;

/**
 * The application's span that was current when the step's training loop started: the step's span becomes its child,
 * so that the step joins the application's trace. Ids as OpenTelemetry writes them (lower-case hex).
 */
public final class TraceParent {
  private final String traceId;
  private final String spanId;
  private final boolean sampled;

  TraceParent(long traceIdHigh, long traceIdLow, long spanId, boolean sampled) {
    this.traceId = hex(traceIdHigh) + hex(traceIdLow);
    this.spanId = hex(spanId);
    this.sampled = sampled;
  }

  /** The parent of a {@code Kind.LOOP_CONTEXT} record; null when it says no span was current. */
  static TraceParent fromRecord(long[] r, int base) {
    long high = r[base + TraceContext.TRACE_ID_HIGH];
    long low = r[base + TraceContext.TRACE_ID_LOW];
    if (high == 0 && low == 0) {
      return null;
    }
    return new TraceParent(high, low, r[base + TraceContext.SPAN_ID], (r[base + TraceContext.FLAGS] & 1) != 0);
  }

  private static String hex(long v) {
    String s = Long.toHexString(v);
    return "0000000000000000".substring(s.length()) + s;
  }

  /** 32 lower-case hex digits. */
  public String traceId() {
    return traceId;
  }

  /** 16 lower-case hex digits. */
  public String spanId() {
    return spanId;
  }

  /** The application's sampling decision for its trace. */
  public boolean sampled() {
    return sampled;
  }

  @Override
  public String toString() {
    return traceId + "/" + spanId;
  }
}
