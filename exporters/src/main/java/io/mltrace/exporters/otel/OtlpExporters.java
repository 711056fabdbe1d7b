package io.mltrace.exporters.otel;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Builds the SDK's OTLP exporters from {@link OtlpSettings}; the one place that knows the SDK's builders. */
final class OtlpExporters {
  /**
   * The SDK logs every failed export through java.util.logging; during an outage that is a line per batch on the
   * application's stderr. mltrace reports drops itself (rate-limited), so the SDK's own logger is turned off.
   * Held here because java.util.logging keeps loggers only weakly.
   */
  private static final Logger SDK_LOGGER = Logger.getLogger(sdkPackage());

  static {
    SDK_LOGGER.setLevel(Level.OFF);
  }

  /** Two tries, short backoff: a long retry chain only fills the queue while the endpoint is down. */
  private static final RetryPolicy RETRY = RetryPolicy.builder()
      .setMaxAttempts(2)
      .setInitialBackoff(Duration.ofMillis(200))
      .setMaxBackoff(Duration.ofSeconds(1))
      .build();

  private OtlpExporters() {}

  /** {@code io.opentelemetry}, or its relocated name inside the agent jar. */
  static String sdkPackage() {
    String name = io.opentelemetry.api.OpenTelemetry.class.getName();
    return name.substring(0, name.length() - ".api.OpenTelemetry".length());
  }

  static SpanExporter spanExporter(OtlpSettings s) {
    if (s.protocol().equals(OtlpSettings.HTTP_PROTOBUF)) {
      OtlpHttpSpanExporterBuilder b = OtlpHttpSpanExporter.builder()
          .setEndpoint(s.tracesEndpoint()).setTimeout(s.timeout()).setRetryPolicy(RETRY);
      s.headers().forEach(b::addHeader);
      return b.build();
    }
    OtlpGrpcSpanExporterBuilder b = OtlpGrpcSpanExporter.builder()
        .setEndpoint(s.tracesEndpoint()).setTimeout(s.timeout()).setRetryPolicy(RETRY);
    s.headers().forEach(b::addHeader);
    return b.build();
  }

  static MetricExporter metricExporter(OtlpSettings s) {
    if (s.protocol().equals(OtlpSettings.HTTP_PROTOBUF)) {
      OtlpHttpMetricExporterBuilder b = OtlpHttpMetricExporter.builder()
          .setEndpoint(s.metricsEndpoint()).setTimeout(s.timeout()).setRetryPolicy(RETRY);
      s.headers().forEach(b::addHeader);
      return b.build();
    }
    OtlpGrpcMetricExporterBuilder b = OtlpGrpcMetricExporter.builder()
        .setEndpoint(s.metricsEndpoint()).setTimeout(s.timeout()).setRetryPolicy(RETRY);
    s.headers().forEach(b::addHeader);
    return b.build();
  }

  static Resource resource(OtlpSettings s) {
    AttributesBuilder a = Attributes.builder();
    for (Map.Entry<String, String> e : s.resource().entrySet()) {
      a.put(e.getKey(), e.getValue());
    }
    a.put("telemetry.sdk.name", "opentelemetry").put("telemetry.sdk.language", "java");
    return Resource.create(a.build());
  }
}
