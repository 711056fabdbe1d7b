package io.mltrace.exporters.otel;

import io.mltrace.collector.Category;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.StepSink;
import io.mltrace.collector.GpuTimeline;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.DoubleGauge;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProviderBuilder;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Always-on step metrics (every step, sampled or not) through the OpenTelemetry metrics SDK, read by a Prometheus
 * scrape endpoint and/or pushed over OTLP. Instruments (Prometheus names in brackets):
 * <ul>
 *   <li>{@code ml.step.duration} histogram, seconds [{@code ml_step_duration_seconds}]</li>
 *   <li>{@code ml.step.time} counter per {@code category}, seconds [{@code ml_step_time_seconds_total}]</li>
 *   <li>{@code ml.steps}, {@code ml.flops} counters [{@code ml_steps_total}, {@code ml_flops_total}]</li>
 *   <li>{@code ml.step.gflops} gauge: achieved GFLOP/s of the last step [{@code ml_step_gflops}];
 *       {@code ml.step.utilization} gauge against {@code peak_gflops} when it is set</li>
 *   <li>for steps with GPU records: {@code ml.gpu.busy_ratio} gauge, the share of the last such step's wall time
 *       in which the device ran a kernel, copy or memset [{@code ml_gpu_busy_ratio}]; {@code ml.gpu.time} counter
 *       per device {@code use} (GEMM kernels, other kernels, copies by direction, idle), seconds
 *       [{@code ml_gpu_time_seconds_total}]; the idle split per stream and the launch delays of
 *       {@link GpuIdleMetrics}</li>
 *   <li>the steps' memory series and the run's leak suspects: {@link MemoryMetrics}</li>
 *   <li>{@code mltrace.agent.cpu_time} counter per agent {@code thread}, seconds; {@code mltrace.agent.dropped}
 *       counter per {@code what} (ring records, OTLP spans, discarded steps); {@code mltrace.agent.exporter_errors}</li>
 * </ul>
 * Recording happens on the collector thread and never waits: the SDK aggregates in memory, and its own reader
 * threads export.
 */
public final class MetricsSink implements StepSink {
  static final AttributeKey<String> CATEGORY = AttributeKey.stringKey("category");
  static final AttributeKey<String> THREAD = AttributeKey.stringKey("thread");
  static final AttributeKey<String> WHAT = AttributeKey.stringKey("what");
  static final AttributeKey<String> USE = AttributeKey.stringKey("use");
  static final List<Double> STEP_BUCKETS_S = List.of(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
      2.0, 5.0, 10.0, 30.0, 60.0);

  private final SdkMeterProvider provider;
  private final PrometheusHttpServer prometheus;
  /** The scrape endpoint's port (the one chosen when asked for port 0); -1 without an endpoint. */
  private final int prometheusPort;
  /** Tries at a free port for {@code prometheus=HOST:0} before giving up (another process may take it first). */
  static final int FREE_PORT_TRIES = 5;
  private final DoubleHistogram stepDuration;
  private final DoubleCounter stepTime;
  private final LongCounter steps;
  private final LongCounter flops;
  private final DoubleGauge gflops;
  private final DoubleGauge utilization;
  private final DoubleGauge gpuBusy;
  private final DoubleCounter gpuTime;
  private final GpuIdleMetrics gpuIdle;
  private final MemoryMetrics memory;
  private final Map<GpuTimeline.DeviceUse, Attributes> useAttributes = new EnumMap<>(GpuTimeline.DeviceUse.class);
  private final double peakGflops;
  private final Map<Category, Attributes> categoryAttributes = new EnumMap<>(Category.class);
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private volatile long collectorThreadId = -1;
  private volatile RunStats lastStats;

  /**
   * @param otlp settings whose metrics endpoint, when not empty, receives a push every metric interval; or null
   * @param prometheusHost host to bind the scrape endpoint to, or null for no endpoint
   * @param prometheusPort its port
   * @param peakGflops the device's peak for {@code ml.step.utilization}; 0: not reported
   * @param droppedSpans the OTLP trace sink's drop count, or null
   */
  public MetricsSink(Resource resource, OtlpSettings otlp, String prometheusHost, int prometheusPort,
      double peakGflops, LongSupplier droppedSpans, Thread otlpThread) {
    SdkMeterProviderBuilder b = SdkMeterProvider.builder().setResource(resource);
    if (otlp != null && !otlp.metricsEndpoint().isEmpty()) {
      b.registerMetricReader(PeriodicMetricReader.builder(OtlpExporters.metricExporter(otlp))
          .setInterval(otlp.metricInterval()).build());
    }
    if (prometheusHost != null) {
      int[] bound = new int[1];
      prometheus = startPrometheus(prometheusHost, prometheusPort, bound);
      this.prometheusPort = bound[0];
      b.registerMetricReader(prometheus);
    } else {
      prometheus = null;
      this.prometheusPort = -1;
    }
    provider = b.build();
    this.peakGflops = peakGflops;
    Meter meter = provider.get("io.mltrace");
    stepDuration = meter.histogramBuilder("ml.step.duration").setUnit("s")
        .setDescription("Wall time of a training step").setExplicitBucketBoundariesAdvice(STEP_BUCKETS_S).build();
    stepTime = meter.counterBuilder("ml.step.time").ofDoubles().setUnit("s")
        .setDescription("Step time per accounting category; the categories sum to the step time").build();
    steps = meter.counterBuilder("ml.steps").setDescription("Training steps closed").build();
    flops = meter.counterBuilder("ml.flops").setDescription("FLOPs of the GEMM-like ops of closed steps").build();
    gflops = meter.gaugeBuilder("ml.step.gflops").setDescription("Achieved GFLOP/s of the last step").build();
    utilization = meter.gaugeBuilder("ml.step.utilization")
        .setDescription("Achieved GFLOP/s of the last step over the configured peak").build();
    for (Category c : Category.values()) {
      categoryAttributes.put(c, Attributes.of(CATEGORY, c.key()));
    }
    gpuBusy = meter.gaugeBuilder("ml.gpu.busy_ratio")
        .setDescription("Share of the last GPU step's wall time in which the device ran a kernel, copy or memset")
        .build();
    gpuTime = meter.counterBuilder("ml.gpu.time").ofDoubles().setUnit("s")
        .setDescription("Device time of steps with GPU records, per use; the uses sum to the step time").build();
    for (GpuTimeline.DeviceUse u : GpuTimeline.DeviceUse.values()) {
      useAttributes.put(u, Attributes.of(USE, u.key()));
    }
    gpuIdle = new GpuIdleMetrics(meter);
    memory = new MemoryMetrics(meter, () -> lastStats);
    meter.counterBuilder("mltrace.agent.cpu_time").ofDoubles().setUnit("s")
        .setDescription("CPU time of the agent's own threads").buildWithCallback(m -> {
          cpu(m, "collector", collectorThreadId);
          cpu(m, "otlp", otlpThread == null ? -1 : otlpThread.getId());
        });
    meter.counterBuilder("mltrace.agent.dropped").setDescription("Data the agent dropped to stay bounded")
        .buildWithCallback(m -> {
          RunStats s = lastStats;
          m.record(s == null ? 0 : s.droppedRecords(), Attributes.of(WHAT, "ring_records"));
          m.record(s == null ? 0 : s.stepsDiscarded(), Attributes.of(WHAT, "unclosed_steps"));
          m.record(droppedSpans == null ? 0 : droppedSpans.getAsLong(), Attributes.of(WHAT, "otlp_spans"));
        });
    meter.counterBuilder("mltrace.agent.exporter_errors").setDescription("Exceptions thrown by exporters")
        .buildWithCallback(m -> {
          RunStats s = lastStats;
          m.record(s == null ? 0 : s.sinkErrors());
        });
  }

  private void cpu(io.opentelemetry.api.metrics.ObservableDoubleMeasurement m, String name, long threadId) {
    if (threadId < 0) {
      return;
    }
    long ns = threads.getThreadCpuTime(threadId);
    if (ns >= 0) {
      m.record(ns / 1e9, Attributes.of(THREAD, name));
    }
  }

  @Override
  public void onStep(Step step) {
    if (collectorThreadId < 0) {
      collectorThreadId = Thread.currentThread().getId();
    }
    double seconds = step.wallNs() / 1e9;
    stepDuration.record(seconds);
    for (Category c : Category.values()) {
      stepTime.add(step.breakdown().ns(c) / 1e9, categoryAttributes.get(c));
    }
    steps.add(1);
    flops.add(step.flops());
    gpu(step);
    memory.record(step);
    if (step.wallNs() > 0 && step.flops() > 0) {
      double achieved = step.flops() / (double) step.wallNs();
      gflops.set(achieved);
      if (peakGflops > 0) {
        utilization.set(achieved / peakGflops);
      }
    }
  }

  private void gpu(Step step) {
    StepGpu gpu = step.gpu();
    if (gpu == null || step.wallNs() <= 0) {
      return;
    }
    GpuTimeline t = gpu.timeline();
    for (GpuTimeline.DeviceUse u : GpuTimeline.DeviceUse.values()) {
      gpuTime.add(t.deviceNs(u) / 1e9, useAttributes.get(u));
    }
    gpuBusy.set(gpu.busyRatio(step.wallNs()));
    gpuIdle.record(step, gpu);
  }

  @Override
  public void flush(RunStats stats) {
    lastStats = stats;
  }

  /**
   * Starts the scrape endpoint on {@code port}, or with port 0 on a free port: one the system hands out for a moment
   * (OpenTelemetry's server does not tell which port it bound), tried again when another process took it first.
   * {@code bound[0]} gets the port.
   */
  static PrometheusHttpServer startPrometheus(String host, int port, int[] bound) {
    if (port != 0) {
      bound[0] = port;
      return PrometheusHttpServer.builder().setHost(host).setPort(port).build();
    }
    RuntimeException last = null;
    for (int i = 0; i < FREE_PORT_TRIES; i++) {
      int free;
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
        free = probe.getLocalPort();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      try {
        PrometheusHttpServer server = PrometheusHttpServer.builder().setHost(host).setPort(free).build();
        bound[0] = free;
        return server;
      } catch (RuntimeException e) {
        last = e; // taken meanwhile: another free port
      }
    }
    throw last;
  }

  /** The scrape endpoint's port (with {@code prometheus=HOST:0}, the free one it took); -1 without an endpoint. */
  public int prometheusPort() {
    return prometheusPort;
  }

  @Override
  public void close() {
    // Bounded: a hung OTLP endpoint must not hold the JVM's exit for long.
    provider.forceFlush().join(2, TimeUnit.SECONDS);
    provider.shutdown().join(2, TimeUnit.SECONDS);
  }
}
