package io.mltrace.agent.context;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;

/** The application's current span, read through its OpenTelemetry API by reflection (here: the test's SDK). */
class ApplicationTraceContextTest {
  private final ApplicationTraceContext reader = new ApplicationTraceContext();

  @Test
  void readsTheCurrentSpansIdsAndNothingWithoutOne() {
    assertNull(reader.get(), "no span is current");
    // A provider with a processor: without one, this SDK hands out invalid (no-op) spans.
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite())).build()) {
      Span request = provider.get("app").spanBuilder("request").startSpan();
      try (Scope ignored = request.makeCurrent()) {
        SpanContext c = request.getSpanContext();
        long[] read = reader.get();
        assertArrayEquals(new long[] {Long.parseUnsignedLong(c.getTraceId().substring(0, 16), 16),
            Long.parseUnsignedLong(c.getTraceId().substring(16), 16), Long.parseUnsignedLong(c.getSpanId(), 16), 1},
            read);
      } finally {
        request.end();
      }
    }
    assertNull(reader.get(), "the span is no longer current");
  }

  @Test
  void idsThatAreNotOpenTelemetrysAreIgnored() {
    assertNull(ApplicationTraceContext.parse("abc", "0123456789abcdef", true));
    assertNull(ApplicationTraceContext.parse("zz000000000000000000000000000000", "0123456789abcdef", true));
    long[] ids = ApplicationTraceContext.parse("ffffffffffffffff0000000000000001", "8000000000000000", false);
    assertEquals(-1L, ids[0], "unsigned hex");
    assertEquals(1L, ids[1]);
    assertEquals(Long.MIN_VALUE, ids[2]);
    assertEquals(0, ids[3]);
  }
}
