package io.mltrace.exporters.otel;

import io.mltrace.collector.Leak;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongGauge;
import io.opentelemetry.api.metrics.Meter;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A step's memory series ({@link Step#memory()}) and the run's leak suspects as metrics, the series named by the
 * {@code series} attribute as in every other output (Prometheus names in brackets):
 * <ul>
 *   <li>levels (state at the step's end): {@code ml.memory.level}, bytes, the last step's value
 *       [{@code ml_memory_level_bytes}]; count levels (live arrays) as {@code ml.memory.count}
 *       [{@code ml_memory_count}]</li>
 *   <li>flows (what each step did), summed over steps: {@code ml.memory.flow}, bytes
 *       [{@code ml_memory_flow_bytes_total}]; counts as {@code ml.memory.flow_count}
 *       [{@code ml_memory_flow_count_total}]</li>
 *   <li>{@code ml.memory.leak_growth}: growth per step, in bytes, of each level the leak finder suspects now
 *       ({@link RunStats#leaks()}, as of the latest flush) [{@code ml_memory_leak_growth_bytes}]; no point for a
 *       series that is not a suspect</li>
 * </ul>
 * A series a step did not measure records nothing (absent, not zero). Per step: one map lookup and one recording
 * per measured series, on the collector thread.
 */
final class MemoryMetrics {
  static final AttributeKey<String> SERIES = AttributeKey.stringKey("series");

  private final LongGauge levelBytes;
  private final LongGauge levelCount;
  private final LongCounter flowBytes;
  private final LongCounter flowCount;
  private final Map<MemorySeries, Attributes> attributes = new EnumMap<>(MemorySeries.class);

  MemoryMetrics(Meter meter, Supplier<RunStats> stats) {
    levelBytes = meter.gaugeBuilder("ml.memory.level").ofLongs().setUnit("By")
        .setDescription("Memory held at the end of the last step, per series (heap after GC, live arrays, off-heap,"
            + " workspaces, resident, GPU)").build();
    levelCount = meter.gaugeBuilder("ml.memory.count").ofLongs()
        .setDescription("Live arrays at the end of the last step, per series").build();
    flowBytes = meter.counterBuilder("ml.memory.flow").setUnit("By")
        .setDescription("Memory the steps allocated or created, per series, summed over steps").build();
    flowCount = meter.counterBuilder("ml.memory.flow_count")
        .setDescription("Arrays or device allocations the steps made, per series, summed over steps").build();
    for (MemorySeries s : MemorySeries.values()) {
      attributes.put(s, Attributes.of(SERIES, s.key()));
    }
    meter.gaugeBuilder("ml.memory.leak_growth").setUnit("By")
        .setDescription("Growth per step of a memory level the leak finder suspects of leaking")
        .buildWithCallback(m -> {
          RunStats s = stats.get();
          if (s == null) {
            return;
          }
          for (Leak leak : s.leaks()) {
            m.record(leak.bytesPerStep(), attributes.get(leak.series()));
          }
        });
  }

  void record(Step step) {
    for (Map.Entry<MemorySeries, Long> e : step.memory().values().entrySet()) {
      MemorySeries series = e.getKey();
      long value = e.getValue();
      Attributes a = attributes.get(series);
      if (series.isLevel()) {
        (series.isBytes() ? levelBytes : levelCount).set(value, a);
      } else if (value > 0) { // a counter only grows
        (series.isBytes() ? flowBytes : flowCount).add(value, a);
      }
    }
  }
}
