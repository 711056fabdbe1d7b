package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Category;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.testing.LocalBackend;
import io.mltrace.exporters.testing.Prometheus;
import io.mltrace.exporters.testing.RecordedSteps;
import io.opentelemetry.sdk.resources.Resource;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics of real steps, scraped from the agent's endpoint by a real Prometheus (Debian's package) and queried
 * back through its HTTP API; the Grafana dashboard's queries name only metrics that exist there.
 */
class PrometheusRoundTripTest {
  static final Path DASHBOARD = Paths.get(System.getProperty("mltrace.repo.dir", "..")
      + "/docs/grafana/mltrace-dashboard.json");
  static final ObjectMapper JSON = new ObjectMapper();
  /** Enough steps for the leak finder to name the injected leak, so that the memory panels have data. */
  static final int STEPS = RecordedSteps.STEPS_TO_FIND_A_LEAK;

  @TempDir
  Path dir;

  @Test
  void prometheusScrapesStepMetricsThatMatchTheSteps() throws Exception {
    int scrapePort = LocalBackend.freePort();
    MetricsSink metrics = new MetricsSink(Resource.getDefault(), null, "127.0.0.1", scrapePort, 100.0, () -> 3,
        null);
    try {
      // This sink does not pass close on: the endpoint stays open after the collector closes its sinks.
      // With scripted JVM events and GPU records, so that the GPU metrics (and the dashboard's GPU panels) exist,
      // and with memory measured through the bridge and a leak, so that the memory metrics (and panels) exist.
      StepSink open = new StepSink() {
        @Override
        public void onStep(Step step) {
          metrics.onStep(step);
        }

        @Override
        public void flush(RunStats stats) {
          metrics.flush(stats);
        }
      };
      RecordedSteps recorded = RecordedSteps.runWithMemory(STEPS, true, open);
      try (Prometheus prom = Prometheus.scraping(dir, "127.0.0.1:" + scrapePort, "1s")) {
        String api = prom.api;
        assertEquals(STEPS, value(api, "ml_steps_total", STEPS), 0.0, prom::log);
        assertEquals(STEPS, value(api, "ml_step_duration_seconds_count", STEPS), 0.0);
        double wall = 0;
        long flops = 0;
        for (Step s : recorded.steps) {
          wall += s.wallNs() / 1e9;
          flops += s.flops();
        }
        assertEquals(wall, value(api, "ml_step_duration_seconds_sum", -1), 1e-6);
        assertEquals(wall, value(api, "sum(ml_step_time_seconds_total)", -1), 1e-6,
            "the categories sum to the step time");
        double gemm = recorded.steps.stream().mapToLong(s -> s.breakdown().ns(Category.GEMM)).sum() / 1e9;
        assertEquals(gemm, value(api, "ml_step_time_seconds_total{category=\"gemm\"}", -1), 1e-6);
        assertEquals(flops, value(api, "ml_flops_total", -1), 0.0);
        Step last = recorded.steps.get(STEPS - 1);
        double lastGflops = last.flops() / (double) last.wallNs();
        assertEquals(lastGflops, value(api, "ml_step_gflops", -1), lastGflops * 1e-6);
        assertEquals(lastGflops / 100.0, value(api, "ml_step_utilization", -1), lastGflops * 1e-8);
        assertEquals(3, value(api, "mltrace_agent_dropped_total{what=\"otlp_spans\"}", -1), 0.0);
        assertTrue(value(api, "mltrace_agent_cpu_time_seconds_total{thread=\"collector\"}", -1) > 0);
        double gpuBusy = value(api, "ml_gpu_busy_ratio", -1);
        assertTrue(gpuBusy > 0 && gpuBusy < 1, "busy share of the last step: " + gpuBusy);
        assertEquals(wall, value(api, "sum(ml_gpu_time_seconds_total)", -1), 1e-6, "the GPU uses sum to the step time");
        assertEquals(value(api, "sum(ml_gpu_stream_idle_seconds_total{wait=\"host_wait\"})", -1),
            value(api, "sum(ml_gpu_host_wait_seconds_total)", -1), 1e-9, "the host-wait causes sum to the host wait");
        assertEquals(2 * STEPS, value(api, "ml_gpu_launch_delay_seconds_count", -1), 0.0);
        memory(api, recorded);
        dashboardQueriesNameExistingMetrics(api);
      }
    } finally {
      metrics.close();
    }
  }

  /** Levels are the last step's, flows sum over the steps, and the injected leak's growth per step is found. */
  private static void memory(String api, RecordedSteps recorded) throws Exception {
    assertEquals(RecordedSteps.liveBytesAfterStep(STEPS),
        value(api, "ml_memory_level_bytes{series=\"arrays_live_bytes\"}", -1), 0.0);
    assertEquals(100 + STEPS, value(api, "ml_memory_count{series=\"arrays_live\"}", -1), 0.0);
    assertEquals(STEPS * RecordedSteps.CREATED_BYTES_PER_STEP,
        value(api, "ml_memory_flow_bytes_total{series=\"arrays_created_bytes\"}", -1), 0.0);
    long allocated = recorded.steps.stream().mapToLong(s -> s.memory().value(MemorySeries.HEAP_ALLOCATED_BYTES)).sum();
    assertTrue(allocated > 0, "the training thread allocated");
    assertEquals(allocated, value(api, "ml_memory_flow_bytes_total{series=\"heap_allocated_bytes\"}", -1), 0.0);
    assertEquals(RecordedSteps.LEAK_BYTES_PER_STEP,
        value(api, "ml_memory_leak_growth_bytes{series=\"arrays_live_bytes\"}", -1),
        RecordedSteps.LEAK_BYTES_PER_STEP * 0.01, "the leak suspect's growth per step");
  }

  /**
   * Every metric a dashboard panel queries is one Prometheus has, and every query (Grafana's variables filled in)
   * is one Prometheus evaluates.
   */
  private static void dashboardQueriesNameExistingMetrics(String api) throws Exception {
    JsonNode names = JSON.readTree(LocalBackend.get(api + "/api/v1/label/__name__/values").body()).get("data");
    Set<String> known = new HashSet<>();
    names.forEach(n -> known.add(n.asText()));
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    int queries = 0;
    Pattern metric = Pattern.compile("\\b(ml_[a-z_]+|mltrace_[a-z_]+)");
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.get("expr").asText();
        String filled = expr.replace("$job", "mltrace").replace("$worker", ".*").replace("$__rate_interval", "1m");
        JsonNode answer = JSON.readTree(LocalBackend.get(api + "/api/v1/query?query="
            + URLEncoder.encode(filled, StandardCharsets.UTF_8)).body());
        assertEquals("success", answer.path("status").asText(), () -> "panel '" + panel.get("title").asText()
            + "': " + filled + " -> " + answer);
        Matcher m = metric.matcher(expr);
        while (m.find()) {
          queries++;
          assertTrue(known.contains(m.group(1)), "panel '" + panel.get("title").asText() + "' queries "
              + m.group(1) + ", which Prometheus does not have; it has " + known);
        }
      }
    }
    assertTrue(queries >= 6, "the dashboard has queries: " + queries);
  }

  /** The first sample of an instant query, polled until it reaches {@code atLeast} (or once when negative). */
  static double value(String api, String query, double atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      body = LocalBackend.get(api + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))
          .body();
      JsonNode result = JSON.readTree(body).path("data").path("result");
      if (result.size() > 0) {
        double v = Double.parseDouble(result.get(0).get("value").get(1).asText());
        if (atLeast < 0 || v >= atLeast) {
          return v;
        }
      }
      Thread.sleep(300);
    }
    throw new AssertionError("no value for " + query + ": " + body);
  }
}
