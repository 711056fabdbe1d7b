package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OtlpSettingsTest {
  @Test
  void standardVariablesConfigureEndpointsProtocolResourceAndHeaders() {
    OtlpSettings s = OtlpSettings.resolve("", "", 0, Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
        "OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b,tenant=ml",
        "OTEL_SERVICE_NAME", "trainer",
        "OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,host.name=gpu-7",
        "OTEL_BSP_MAX_QUEUE_SIZE", "100",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "2500"));
    assertTrue(s.problems().isEmpty(), s.problems()::toString);
    assertEquals("http://collector:4318/v1/traces", s.tracesEndpoint());
    assertEquals("http://collector:4318/v1/metrics", s.metricsEndpoint());
    assertEquals("a b", s.headers().get("api-key"));
    assertEquals("trainer", s.resource().get("service.name"), "OTEL_SERVICE_NAME wins");
    assertEquals("gpu-7", s.resource().get("host.name"));
    assertEquals(100, s.queueSpans());
    assertEquals(2500, s.timeout().toMillis());
  }

  @Test
  void agentOptionsWinAndSignalEndpointsAreUsedAsGiven() {
    OtlpSettings s = OtlpSettings.resolve("http://127.0.0.1:4317", "grpc", 50, Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://elsewhere:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces-only:4318/custom"));
    assertEquals("http://127.0.0.1:4317", s.tracesEndpoint(), "the option beats both variables");
    assertEquals("grpc", s.protocol());
    assertEquals(50, s.queueSpans());
    OtlpSettings env = OtlpSettings.resolve("", "", 0, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://traces-only:4318/custom", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
    assertEquals("http://traces-only:4318/custom", env.tracesEndpoint());
    assertEquals("", env.metricsEndpoint(), "no generic endpoint: no metrics push");
  }

  @Test
  void nothingConfiguredMeansNoOtlpAndBadValuesGiveOneLineEach() {
    OtlpSettings none = OtlpSettings.resolve("", "", 0, Map.of());
    assertEquals("", none.tracesEndpoint());
    assertEquals("mltrace", none.resource().get("service.name"));
    assertEquals(2048, none.queueSpans());
    OtlpSettings bad = OtlpSettings.resolve("", "", 0, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", "OTEL_EXPORTER_OTLP_TIMEOUT", "soon"));
    assertEquals("", bad.tracesEndpoint());
    assertEquals("grpc", bad.protocol());
    assertEquals(10_000, bad.timeout().toMillis());
    assertEquals(4, bad.problems().size(), bad.problems()::toString);
  }

  @Test
  void aWarningPrintsAtMostOnceAMinute() {
    AtomicLong now = new AtomicLong(5_000_000_000L);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RateLimitedWarning w = new RateLimitedWarning(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get,
        RateLimitedWarning.ONE_MINUTE_NS);
    assertTrue(w.warn("first"));
    now.addAndGet(59_000_000_000L);
    assertTrue(!w.warn("within the minute"));
    now.addAndGet(1_000_000_000L);
    assertTrue(w.warn("a minute later"));
    assertEquals(2, w.printed());
    assertEquals("first\na minute later\n", bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aWorkersIdentityJoinsTheResourceAndTheUsersAttributesWin() {
    OtlpSettings s = OtlpSettings.resolve("", "", 0,
        Map.of("OTEL_RESOURCE_ATTRIBUTES", "host.name=from-user"),
        Map.of("host.name", "10.0.0.7", "spark.executor.id", "1"));
    assertEquals("from-user", s.resource().get("host.name"));
    assertEquals("1", s.resource().get("spark.executor.id"));
    assertEquals("mltrace", s.resource().get("service.name"));
    assertEquals("1", s.toResource().getAttribute(
        io.opentelemetry.api.common.AttributeKey.stringKey("spark.executor.id")));
  }
}
