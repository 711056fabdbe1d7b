package io.mltrace.exporters.otel;

import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.GpuIdleSplit;
import io.mltrace.collector.GpuIdleSplit.StreamIdle;
import io.mltrace.collector.GpuIdleSplit.Wait;
import io.mltrace.collector.GpuTimeline.IdleReason;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.Meter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The GPU idle split ({@link GpuIdleSplit}) and launch delays of steps with GPU records as metrics (Prometheus names
 * in brackets): {@code ml.gpu.stream_idle} per {@code wait} ({@code host_wait}, {@code kernel_wait},
 * {@code other}; summed over streams), seconds [{@code ml_gpu_stream_idle_seconds_total}];
 * {@code ml.gpu.host_wait} per host {@code reason}, seconds [{@code ml_gpu_host_wait_seconds_total}]; and
 * {@code ml.gpu.launch_delay}, a histogram of each record's delay from the start of its launching API call to its
 * start on the device, seconds [{@code ml_gpu_launch_delay_seconds}].
 */
final class GpuIdleMetrics {
  static final AttributeKey<String> WAIT = AttributeKey.stringKey("wait");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
  static final List<Double> DELAY_BUCKETS_S = List.of(5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3,
      1e-2, 0.1, 1.0);

  private final DoubleCounter streamIdle;
  private final DoubleCounter hostWait;
  private final DoubleHistogram launchDelay;
  private final Map<Wait, Attributes> waits = new EnumMap<>(Wait.class);
  private final Map<IdleReason, Attributes> reasons = new EnumMap<>(IdleReason.class);

  GpuIdleMetrics(Meter meter) {
    streamIdle = meter.counterBuilder("ml.gpu.stream_idle").ofDoubles().setUnit("s")
        .setDescription("GPU stream idle time of steps with GPU records, split as HTA splits it").build();
    hostWait = meter.counterBuilder("ml.gpu.host_wait").ofDoubles().setUnit("s")
        .setDescription("GPU stream host-wait time, by what the host was doing").build();
    launchDelay = meter.histogramBuilder("ml.gpu.launch_delay").setUnit("s")
        .setDescription("From the start of a GPU record's launching API call to its start on the device")
        .setExplicitBucketBoundariesAdvice(DELAY_BUCKETS_S).build();
    for (Wait w : Wait.values()) {
      waits.put(w, Attributes.of(WAIT, w.key()));
    }
    for (IdleReason r : IdleReason.values()) {
      reasons.put(r, Attributes.of(REASON, r.key()));
    }
  }

  /** Records a step that has GPU records, from its GPU facts. */
  void record(Step step, StepGpu gpu) {
    for (StreamIdle s : gpu.idleSplit().streams()) {
      for (Wait w : Wait.values()) {
        streamIdle.add(s.waitNs(w) / 1e9, waits.get(w));
      }
      for (IdleReason r : IdleReason.values()) {
        hostWait.add(s.hostWaitNs(r) / 1e9, reasons.get(r));
      }
    }
    for (ExternalActivity a : step.external()) {
      if (a.kind().isGpu() && a.launchKnown()) {
        launchDelay.record((a.startNs() - a.launchStartNs()) / 1e9);
      }
    }
  }
}
