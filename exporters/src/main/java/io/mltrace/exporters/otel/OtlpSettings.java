package io.mltrace.exporters.otel;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where and how OTLP data goes, resolved from the agent's own options and the standard OpenTelemetry environment
 * variables ({@code OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT}, {@code _PROTOCOL}, {@code _HEADERS},
 * {@code _TIMEOUT}, {@code OTEL_SERVICE_NAME}, {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_BSP_MAX_QUEUE_SIZE},
 * {@code OTEL_METRIC_EXPORT_INTERVAL}). An agent option, when given, wins over the variable.
 *
 * <p>Never throws: a bad value becomes one {@link #problems() problem} line and the default is used.
 */
public final class OtlpSettings {
  public static final String GRPC = "grpc";
  public static final String HTTP_PROTOBUF = "http/protobuf";
  static final String DEFAULT_SERVICE_NAME = "mltrace";

  private final String tracesEndpoint;
  private final String metricsEndpoint;
  private final String protocol;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final Map<String, String> resource;
  private final int queueSpans;
  private final Duration metricInterval;
  private final List<String> problems;

  private OtlpSettings(Builder b) {
    this.tracesEndpoint = b.tracesEndpoint;
    this.metricsEndpoint = b.metricsEndpoint;
    this.protocol = b.protocol;
    this.headers = Collections.unmodifiableMap(b.headers);
    this.timeout = b.timeout;
    this.resource = Collections.unmodifiableMap(b.resource);
    this.queueSpans = b.queueSpans;
    this.metricInterval = b.metricInterval;
    this.problems = Collections.unmodifiableList(b.problems);
  }

  /**
   * @param endpointOption the agent's {@code otlp_endpoint} ("" when not given)
   * @param protocolOption the agent's {@code otlp_protocol} ("" when not given)
   * @param queueSpansOption the agent's {@code otlp_queue_spans} (0 when not given)
   * @param env the process environment
   */
  public static OtlpSettings resolve(String endpointOption, String protocolOption, int queueSpansOption,
      Map<String, String> env) {
    return resolve(endpointOption, protocolOption, queueSpansOption, env, Map.of());
  }

  /**
   * @param resourceDefaults resource attributes the agent found itself (a cluster worker's identity); {@code
   *     OTEL_RESOURCE_ATTRIBUTES} and {@code OTEL_SERVICE_NAME} win over them
   */
  public static OtlpSettings resolve(String endpointOption, String protocolOption, int queueSpansOption,
      Map<String, String> env, Map<String, String> resourceDefaults) {
    Builder b = new Builder();
    b.protocol = first(protocolOption, env.get("OTEL_EXPORTER_OTLP_PROTOCOL"), GRPC).toLowerCase(Locale.ROOT);
    if (!b.protocol.equals(GRPC) && !b.protocol.equals(HTTP_PROTOBUF)) {
      b.problems.add("mltrace: OTLP protocol '" + b.protocol + "' is not supported (grpc or http/protobuf); using grpc");
      b.protocol = GRPC;
    }
    String base = first(endpointOption, env.get("OTEL_EXPORTER_OTLP_ENDPOINT"), "");
    b.tracesEndpoint = signalEndpoint(b, base, env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), "traces",
        endpointOption.isEmpty());
    b.metricsEndpoint = signalEndpoint(b, base, env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"), "metrics",
        endpointOption.isEmpty());
    b.headers.putAll(keyValues(b, "OTEL_EXPORTER_OTLP_HEADERS", env.get("OTEL_EXPORTER_OTLP_HEADERS")));
    b.timeout = Duration.ofMillis(positive(b, "OTEL_EXPORTER_OTLP_TIMEOUT", env.get("OTEL_EXPORTER_OTLP_TIMEOUT"),
        10_000));
    b.metricInterval = Duration.ofMillis(positive(b, "OTEL_METRIC_EXPORT_INTERVAL",
        env.get("OTEL_METRIC_EXPORT_INTERVAL"), 10_000));
    b.resource.put("service.name", DEFAULT_SERVICE_NAME);
    b.resource.putAll(resourceDefaults);
    b.resource.putAll(keyValues(b, "OTEL_RESOURCE_ATTRIBUTES", env.get("OTEL_RESOURCE_ATTRIBUTES")));
    String serviceName = env.get("OTEL_SERVICE_NAME");
    if (serviceName != null && !serviceName.isBlank()) {
      b.resource.put("service.name", serviceName.trim());
    }
    b.queueSpans = queueSpansOption > 0 ? queueSpansOption
        : (int) Math.min(Integer.MAX_VALUE, positive(b, "OTEL_BSP_MAX_QUEUE_SIZE",
            env.get("OTEL_BSP_MAX_QUEUE_SIZE"), 2048));
    return new OtlpSettings(b);
  }

  /**
   * The signal's own variable is used as is; the generic endpoint gets {@code /v1/<signal>} appended for
   * http/protobuf (as the OTLP exporter specification says) and is used as is for gRPC.
   */
  private static String signalEndpoint(Builder b, String base, String signalSpecific, String signal,
      boolean envMayOverride) {
    String chosen;
    if (envMayOverride && signalSpecific != null && !signalSpecific.isBlank()) {
      chosen = signalSpecific.trim();
    } else if (base.isEmpty()) {
      return "";
    } else if (b.protocol.equals(HTTP_PROTOBUF)) {
      chosen = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/" + signal;
    } else {
      chosen = base;
    }
    try {
      URI uri = new URI(chosen);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("needs http:// or https:// and a host");
      }
      return chosen;
    } catch (Exception e) {
      b.problems.add("mltrace: OTLP " + signal + " endpoint '" + chosen + "' is not a URL (" + e.getMessage()
          + "); OTLP " + signal + " disabled");
      return "";
    }
  }

  private static String first(String option, String env, String fallback) {
    if (option != null && !option.isBlank()) {
      return option.trim();
    }
    if (env != null && !env.isBlank()) {
      return env.trim();
    }
    return fallback;
  }

  private static long positive(Builder b, String name, String value, long fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      long v = Long.parseLong(value.trim());
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    b.problems.add("mltrace: " + name + "='" + value + "' must be a positive whole number; using " + fallback);
    return fallback;
  }

  /** {@code k=v,k2=v2} with percent-encoded values, as the OpenTelemetry specification defines it. */
  private static Map<String, String> keyValues(Builder b, String name, String value) {
    Map<String, String> m = new LinkedHashMap<>();
    if (value == null || value.isBlank()) {
      return m;
    }
    for (String pair : value.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        if (!pair.isBlank()) {
          b.problems.add("mltrace: " + name + " entry '" + pair.trim() + "' is not key=value; ignored");
        }
        continue;
      }
      m.put(pair.substring(0, eq).trim(),
          URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8));
    }
    return m;
  }

  /** "" when traces are not exported. */
  public String tracesEndpoint() {
    return tracesEndpoint;
  }

  /** "" when metrics are not pushed over OTLP. */
  public String metricsEndpoint() {
    return metricsEndpoint;
  }

  public String protocol() {
    return protocol;
  }

  public Map<String, String> headers() {
    return headers;
  }

  public Duration timeout() {
    return timeout;
  }

  /** Resource attributes, {@code service.name} included. */
  public Map<String, String> resource() {
    return resource;
  }

  /** The resource as the SDK takes it. */
  public io.opentelemetry.sdk.resources.Resource toResource() {
    return OtlpExporters.resource(this);
  }

  /** The most spans waiting for export; past it whole steps are dropped and counted. */
  public int queueSpans() {
    return queueSpans;
  }

  public Duration metricInterval() {
    return metricInterval;
  }

  /** One line per bad value; empty when all is well. */
  public List<String> problems() {
    return problems;
  }

  private static final class Builder {
    String tracesEndpoint = "";
    String metricsEndpoint = "";
    String protocol = GRPC;
    final Map<String, String> headers = new LinkedHashMap<>();
    Duration timeout;
    final Map<String, String> resource = new LinkedHashMap<>();
    int queueSpans;
    Duration metricInterval;
    final List<String> problems = new ArrayList<>();
  }
}
