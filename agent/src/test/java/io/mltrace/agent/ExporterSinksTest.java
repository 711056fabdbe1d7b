package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Category;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.html.HtmlReportWriter;
import io.mltrace.exporters.otel.MetricsSink;
import io.mltrace.exporters.otel.OtlpTraceSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExporterSinksTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private List<StepSink> create(String args, Map<String, String> env) {
    AgentOptions o = AgentOptions.parse(args, Map.of(), Map.of());
    assertTrue(o.problems().isEmpty(), o.problems()::toString);
    return ExporterSinks.create(o, dir, List.of(Category.GEMM), () -> "djl", env,
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void byDefaultOnlyTheHtmlReportIsAdded() {
    List<StepSink> sinks = create("", Map.of());
    assertEquals(1, sinks.size());
    assertTrue(sinks.get(0) instanceof HtmlReportWriter);
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertEquals(0, create("html_report=false", Map.of()).size());
  }

  @Test
  void theStandardEndpointVariableTurnsOnTracesAndMetrics() {
    List<StepSink> sinks = create("html_report=false", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"));
    try {
      assertEquals(2, sinks.size());
      assertTrue(sinks.get(0) instanceof OtlpTraceSink);
      assertTrue(sinks.get(1) instanceof MetricsSink);
    } finally {
      sinks.forEach(StepSink::close);
    }
  }

  @Test
  void aPrometheusPortInUseIsOneLineAndTheOtherSinksStay() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<StepSink> sinks = create("prometheus=127.0.0.1:" + taken.getLocalPort(), Map.of());
      String text = err.toString(StandardCharsets.UTF_8);
      assertEquals(1, text.lines().count(), text);
      assertTrue(text.startsWith("mltrace: Prometheus endpoint 127.0.0.1:" + taken.getLocalPort() + " not started"),
          text);
      assertEquals(1, sinks.size(), "the HTML report is still there");
    }
  }

  @Test
  void badExporterOptionsFallBackWithOneLineEach() {
    AgentOptions o = AgentOptions.parse("prometheus=host:99999,otlp_protocol=thrift,peak_gflops=-1,trace_gzip=yes,"
        + "html_report=maybe,otlp_queue_spans=-5", Map.of(), Map.of());
    assertEquals(6, o.problems().size(), o.problems()::toString);
    assertEquals(null, o.prometheusHost());
    assertEquals("", o.otlpProtocol());
    assertEquals(0, o.peakGflops());
    assertTrue(o.htmlReport());
    AgentOptions ok = AgentOptions.parse("prometheus=9464", Map.of(), Map.of());
    assertEquals("127.0.0.1", ok.prometheusHost(), "loopback unless a host is named");
    assertEquals(9464, ok.prometheusPort());
  }

  @Test
  void portZeroTakesAFreePortSaysWhichAndAnnouncesItToPrometheusUntilClosed() throws Exception {
    Path sd = dir.resolve("sd");
    List<StepSink> sinks = create("html_report=false,prometheus=127.0.0.1:0,prometheus_sd=" + sd, Map.of());
    try {
      assertEquals(2, sinks.size(), sinks::toString);
      int port = ((MetricsSink) sinks.get(0)).prometheusPort();
      assertTrue(port > 0, "a port was chosen: " + port);
      String text = err.toString(StandardCharsets.UTF_8);
      assertEquals("mltrace: Prometheus endpoint http://127.0.0.1:" + port + "/metrics", text.trim());
      java.net.http.HttpResponse<String> scrape = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, scrape.statusCode());
      Path file = ((io.mltrace.agent.cluster.PrometheusTarget) sinks.get(1)).file();
      com.fasterxml.jackson.databind.JsonNode target = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(file.toFile()).get(0);
      assertEquals("127.0.0.1:" + port, target.get("targets").get(0).asText());
      assertEquals("jvm-" + ProcessHandle.current().pid(), target.get("labels").get("worker").asText(),
          "outside Spark the worker is the JVM");
      sinks.get(1).close();
      assertFalse(Files.exists(file), "gone with the JVM's exit, so Prometheus stops scraping it");
    } finally {
      sinks.forEach(StepSink::close);
    }
  }

  @Test
  void aDiscoveryFolderWithoutAnEndpointIsOneLine() {
    AgentOptions o = AgentOptions.parse("prometheus_sd=/tmp/x", Map.of(), Map.of());
    assertEquals(1, o.problems().size(), o.problems()::toString);
    assertTrue(o.problems().get(0).contains("must come with a scrape endpoint"), o.problems()::toString);
    assertEquals(null, o.prometheusSd());
  }
}
