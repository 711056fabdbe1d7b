package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Category;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.Jaeger;
import io.mltrace.exporters.testing.LocalBackend;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Step metrics pushed over OTLP (HTTP/protobuf) into a real OpenTelemetry collector pipeline (the one built into
 * Jaeger v1.76.0: OTLP receiver → Prometheus exporter), read back from its Prometheus text endpoint.
 */
class OtlpMetricsRoundTripTest {
  static final int STEPS = 5;

  @TempDir
  Path dir;

  @Test
  void stepMetricsSurviveAnOtlpPush() throws Exception {
    int metricsPort = LocalBackend.freePort();
    try (Jaeger jaeger = Jaeger.start(dir, 0, metricsPort)) {
      OtlpSettings settings = OtlpSettings.resolve("http://127.0.0.1:" + jaeger.otlpHttpPort, "http/protobuf", 0,
          Map.of("OTEL_METRIC_EXPORT_INTERVAL", "500", "OTEL_SERVICE_NAME", "metrics-test"));
      MetricsSink sink = new MetricsSink(settings.toResource(), settings, null, 0, 0, null, null);
      RecordedSteps recorded;
      try {
        recorded = RecordedSteps.runWithActivities(STEPS, sink);
      } finally {
        sink.close(); // flushes the last push
      }
      String url = "http://127.0.0.1:" + metricsPort + "/metrics";
      String text = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (System.nanoTime() < deadline) {
        text = LocalBackend.get(url).body();
        if (sample(text, "ml_steps_total", "") == STEPS) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(STEPS, sample(text, "ml_steps_total", ""), text);
      assertEquals(STEPS, sample(text, "ml_step_duration_seconds_count", ""), text);
      double wall = recorded.steps.stream().mapToLong(Step::wallNs).sum() / 1e9;
      assertEquals(wall, sample(text, "ml_step_duration_seconds_sum", ""), 1e-6);
      double gemm = recorded.steps.stream().mapToLong(s -> s.breakdown().ns(Category.GEMM)).sum() / 1e9;
      assertEquals(gemm, sample(text, "ml_step_time_seconds_total", "category=\"gemm\""), 1e-6);
      assertEquals(STEPS * RecordedSteps.GEMM_FLOPS, sample(text, "ml_flops_total", ""), 0.0);
      Step last = recorded.steps.get(STEPS - 1);
      assertEquals((double) (RecordedSteps.KERNEL_NS + RecordedSteps.COPY_NS) / last.wallNs(),
          sample(text, "ml_gpu_busy_ratio", ""), 1e-9, "the busy ratio of the last step with GPU records");
      assertEquals(STEPS * RecordedSteps.KERNEL_NS / 1e9,
          sample(text, "ml_gpu_time_seconds_total", "use=\"gemm_kernels\""), 1e-9);
      assertEquals(STEPS * RecordedSteps.COPY_NS / 1e9,
          sample(text, "ml_gpu_time_seconds_total", "use=\"copy_h2d\""), 1e-9);
      // Each record was launched after its step began and nothing followed it: every idle moment is host wait.
      double streamIdle = 0;
      for (Step s : recorded.steps) {
        streamIdle += 2 * s.wallNs() - RecordedSteps.KERNEL_NS - RecordedSteps.COPY_NS;
      }
      assertEquals(streamIdle / 1e9, sample(text, "ml_gpu_stream_idle_seconds_total", "wait=\"host_wait\""), 1e-9);
      assertEquals(0, sample(text, "ml_gpu_stream_idle_seconds_total", "wait=\"kernel_wait\""), 0.0);
      assertEquals(2 * STEPS * RecordedSteps.GC_NS / 1e9,
          sample(text, "ml_gpu_host_wait_seconds_total", "reason=\"gc\""), 1e-9, "the GC, in both streams' wait");
      assertEquals(2 * STEPS, sample(text, "ml_gpu_launch_delay_seconds_count", ""), 0.0);
      assertEquals(STEPS * (RecordedSteps.KERNEL_START_AT - RecordedSteps.KERNEL_LAUNCH_AT
          + RecordedSteps.COPY_START_AT - RecordedSteps.COPY_LAUNCH_AT) / 1e9,
          sample(text, "ml_gpu_launch_delay_seconds_sum", ""), 1e-9);
      assertTrue(text.contains("job=\"metrics-test\""), "the service name travels as the job: " + text);
    }
  }

  /** The value of the first sample of {@code name} whose labels contain {@code label}; NaN when absent. */
  static double sample(String text, String name, String label) {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)").matcher(text);
    while (m.find()) {
      if (m.group(1) == null ? label.isEmpty() : m.group(1).contains(label)) {
        return Double.parseDouble(m.group(2));
      }
    }
    return Double.NaN;
  }
}
