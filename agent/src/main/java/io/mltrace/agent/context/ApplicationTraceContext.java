package io.mltrace.agent.context;

import io.mltrace.bootstrap.TraceContext;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Reads the calling thread's current span from the application's OpenTelemetry API
 * ({@code io.opentelemetry.api.trace.Span.current().getSpanContext()}), found through the thread's context class
 * loader. Called when a training loop starts (a few times per run), so reflection costs nothing that matters; the
 * methods are looked up once per class loader, and a loader without the API is remembered as such.
 */
public final class ApplicationTraceContext implements Supplier<long[]> {
  // Built at run time: the agent jar relocates its own OpenTelemetry, and the shade plugin rewrites string constants
  // that name relocated packages; these must name the application's API, not mltrace's copy.
  private static final String API = String.join(".", "io", "opentelemetry", "api", "trace");
  private static final String SPAN = API + ".Span";
  private static final String SPAN_CONTEXT = API + ".SpanContext";
  /** Per class loader: the API's methods, or {@link #ABSENT}. */
  private final Map<ClassLoader, Object> apis = new WeakHashMap<>();
  private static final Object ABSENT = new Object();

  /** Installs the reader in the bridge. */
  public static void install() {
    TraceContext.installReader(new ApplicationTraceContext());
  }

  @Override
  public long[] get() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = ClassLoader.getSystemClassLoader();
    }
    Api api = api(loader);
    if (api == null) {
      return null;
    }
    try {
      Object context = api.getSpanContext.invoke(api.current.invoke(null));
      if (!(Boolean) api.isValid.invoke(context)) {
        return null;
      }
      String traceId = (String) api.getTraceId.invoke(context);
      String spanId = (String) api.getSpanId.invoke(context);
      boolean sampled = (Boolean) api.isSampled.invoke(context);
      return parse(traceId, spanId, sampled);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // an API we do not understand: steps start their own traces
    }
  }

  /** The four longs the bridge carries, from OpenTelemetry's lower-case hex ids; null when they are not ids. */
  static long[] parse(String traceId, String spanId, boolean sampled) {
    if (traceId == null || spanId == null || traceId.length() != 32 || spanId.length() != 16) {
      return null;
    }
    try {
      return new long[] {Long.parseUnsignedLong(traceId.substring(0, 16), 16),
          Long.parseUnsignedLong(traceId.substring(16), 16), Long.parseUnsignedLong(spanId, 16), sampled ? 1 : 0};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private synchronized Api api(ClassLoader loader) {
    Object known = apis.get(loader);
    if (known == null) {
      known = lookUp(loader);
      apis.put(loader, known);
    }
    return known == ABSENT ? null : (Api) known;
  }

  private static Object lookUp(ClassLoader loader) {
    try {
      Class<?> span = Class.forName(SPAN, false, loader);
      Class<?> spanContext = Class.forName(SPAN_CONTEXT, false, loader);
      return new Api(span.getMethod("current"), span.getMethod("getSpanContext"), spanContext.getMethod("isValid"),
          spanContext.getMethod("getTraceId"), spanContext.getMethod("getSpanId"),
          spanContext.getMethod("isSampled"));
    } catch (ReflectiveOperationException | LinkageError e) {
      return ABSENT;
    }
  }

  private static final class Api {
    final Method current;
    final Method getSpanContext;
    final Method isValid;
    final Method getTraceId;
    final Method getSpanId;
    final Method isSampled;

    Api(Method current, Method getSpanContext, Method isValid, Method getTraceId, Method getSpanId,
        Method isSampled) {
      this.current = current;
      this.getSpanContext = getSpanContext;
      this.isValid = isValid;
      this.getTraceId = getTraceId;
      this.getSpanId = getSpanId;
      this.isSampled = isSampled;
    }
  }
}
