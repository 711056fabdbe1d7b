package io.mltrace.bootstrap;

import java.util.function.Supplier;

/**
 * The application's active trace, read when a training loop starts on a thread (and at a thread's first step), so
 * that mltrace's step spans join the trace of the request that started the job. The bridge cannot see
 * OpenTelemetry's API (it lives in the application's class loader, or in the OpenTelemetry agent's); the agent
 * installs a reader that can, and this class only carries what it returns: {@code {traceIdHigh, traceIdLow, spanId,
 * flags}}, or null when no valid span is current.
 *
 * <p>A reader that throws is removed (one line on stderr); steps then start their own traces, as without a reader.
 */
public final class TraceContext {
  /** Slots of a {@link Kind#LOOP_CONTEXT} record: the trace id's two halves, the span id, the trace flags. */
  public static final int TRACE_ID_HIGH = Slots.DIMS;
  public static final int TRACE_ID_LOW = Slots.DIMS + 1;
  public static final int SPAN_ID = Slots.DIMS + 2;
  public static final int FLAGS = Slots.DIMS + 3;

  private static volatile Supplier<long[]> reader;

  /** Installs the reader of the calling thread's active span context. */
  public static void installReader(Supplier<long[]> r) {
    reader = r;
  }

  static boolean installed() {
    return reader != null;
  }

  /** The calling thread's active span context, or null. */
  static long[] read() {
    Supplier<long[]> r = reader;
    if (r == null) {
      return null;
    }
    try {
      long[] context = r.get();
      return context != null && context.length == 4 && (context[0] != 0 || context[1] != 0) ? context : null;
    } catch (Throwable t) {
      reader = null;
      System.err.println("mltrace: steps no longer join the application's trace: " + t);
      return null;
    }
  }

  private TraceContext() {}
}
