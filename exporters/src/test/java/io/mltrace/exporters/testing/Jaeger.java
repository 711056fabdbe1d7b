package io.mltrace.exporters.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Jaeger v1.76.0 ({@code cmd/jaeger}, the v2 all-in-one) built by {@code .ci/setup}, with in-memory storage, every
 * listener on 127.0.0.1 on a free port, and its own telemetry off.
 */
public final class Jaeger implements AutoCloseable {
  public static final Path BINARY = LocalBackend.TOOLS.resolve("jaeger-1.76.0/jaeger");
  public static final ObjectMapper JSON = new ObjectMapper();

  public final int otlpGrpcPort;
  public final int otlpHttpPort;
  public final int queryPort;
  public final LocalBackend process;

  private Jaeger(int grpc, int http, int query, LocalBackend process) {
    this.otlpGrpcPort = grpc;
    this.otlpHttpPort = http;
    this.queryPort = query;
    this.process = process;
  }

  /** Starts Jaeger; {@code grpcPort} 0 picks a free one. */
  public static Jaeger start(Path dir, int grpcPort) throws IOException, InterruptedException {
    return start(dir, grpcPort, 0);
  }

  /**
   * Starts Jaeger; with {@code metricsPort} > 0 it also takes OTLP metrics and serves them in Prometheus text
   * format at {@code http://127.0.0.1:metricsPort/metrics} (its built-in collector's Prometheus exporter).
   */
  public static Jaeger start(Path dir, int grpcPort, int metricsPort) throws IOException, InterruptedException {
    int[] ports = LocalBackend.freePorts(5);
    int grpc = grpcPort > 0 ? grpcPort : ports[0];
    int http = ports[1];
    int query = ports[2];
    int queryGrpc = ports[3];
    int health = ports[4];
    String config = String.join("\n",
        "service:",
        "  extensions: [jaeger_storage, jaeger_query, healthcheckv2]",
        "  pipelines:",
        "    traces:",
        "      receivers: [otlp]",
        "      processors: [batch]",
        "      exporters: [jaeger_storage_exporter]",
        metricsPort > 0 ? "    metrics:\n      receivers: [otlp]\n      exporters: [prometheus]" : "",
        "  telemetry:",
        "    metrics:",
        "      level: none",
        "    logs:",
        "      level: warn",
        "extensions:",
        "  healthcheckv2:",
        "    use_v2: true",
        "    http:",
        "      endpoint: 127.0.0.1:" + health,
        "  jaeger_query:",
        "    storage:",
        "      traces: memstore",
        "    http:",
        "      endpoint: 127.0.0.1:" + query,
        "    grpc:",
        "      endpoint: 127.0.0.1:" + queryGrpc,
        "  jaeger_storage:",
        "    backends:",
        "      memstore:",
        "        memory:",
        "          max_traces: 100000",
        "receivers:",
        "  otlp:",
        "    protocols:",
        "      grpc:",
        "        endpoint: 127.0.0.1:" + grpc,
        "      http:",
        "        endpoint: 127.0.0.1:" + http,
        "processors:",
        "  batch:",
        "    timeout: 100ms",
        "exporters:",
        "  jaeger_storage_exporter:",
        "    trace_storage: memstore",
        metricsPort > 0 ? "  prometheus:\n    endpoint: 127.0.0.1:" + metricsPort : "",
        "");
    Path file = dir.resolve("jaeger.yaml");
    Files.writeString(file, config);
    LocalBackend p = LocalBackend.start("jaeger",
        List.of(LocalBackend.tool(BINARY).toString(), "--config", file.toString()), dir,
        "http://127.0.0.1:" + query + "/api/services", Duration.ofSeconds(60));
    return new Jaeger(grpc, http, query, p);
  }

  /** The traces of a service, polled until {@code expected} are there or 15 s passed. */
  public JsonNode traces(String service, int expected) throws IOException, InterruptedException {
    JsonNode data = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    do {
      String body = LocalBackend.get("http://127.0.0.1:" + queryPort + "/api/traces?service=" + service
          + "&limit=100000&lookback=1h").body();
      data = JSON.readTree(body).path("data");
      if (data.size() >= expected) {
        return data;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return data;
  }

  @Override
  public void close() throws InterruptedException {
    process.close();
  }
}
