package io.mltrace.exporters;

import io.mltrace.collector.Step;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.GpuIdleSplit;
import io.mltrace.collector.GpuIdleSplit.StreamIdle;
import io.mltrace.collector.GpuIdleSplit.Wait;
import io.mltrace.collector.GpuTimeline.IdleReason;
import io.mltrace.collector.LaunchStats;
import io.mltrace.collector.LaunchStats.OpLaunches;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The GPU idle split ({@link GpuIdleSplit}) and launch statistics ({@link LaunchStats}) of the steps with GPU
 * records, per step and summed over the run, as JSON for {@code summary.json} and {@code report.html} (schema in
 * {@code docs/summary-schema.md}). Bounded: at most {@link #MAX_OPS} op names are kept in the run totals, later ones
 * sum under {@link #OTHER_OPS}.
 */
public final class GpuSummary {
  static final int MAX_OPS = 1000;
  static final String OTHER_OPS = "(other ops)";

  private final Map<Long, long[]> streams = new TreeMap<>(); // device << 32 | stream -> steps, waits, host reasons
  private final Map<String, OpLaunches> ops = new LinkedHashMap<>();
  private long gpuSteps;

  /**
   * Adds the step to the run totals and returns its entry fields ({@code , "gpu_idle": [...], "gpu_launches":
   * [...]}), or null when the step has no GPU records.
   */
  public String onStep(Step step) {
    StepGpu gpu = step.gpu();
    if (gpu == null) {
      return null;
    }
    gpuSteps++;
    GpuIdleSplit split = gpu.idleSplit();
    List<OpLaunches> launches = gpu.launches();
    StringBuilder out = new StringBuilder(256);
    out.append(", \"gpu_idle\": [");
    for (int i = 0; i < split.streams().size(); i++) {
      StreamIdle s = split.streams().get(i);
      long[] total = streams.computeIfAbsent((long) s.device() << 32 | (s.stream() & 0xffffffffL),
          k -> new long[1 + Wait.values().length + IdleReason.values().length]);
      total[0]++;
      long[] values = values(s);
      for (int v = 0; v < values.length; v++) {
        total[1 + v] += values[v];
      }
      idle(out.append(i == 0 ? "" : ", "), s.device(), s.stream(), -1, values);
    }
    out.append("], \"gpu_launches\": [");
    for (int i = 0; i < launches.size(); i++) {
      OpLaunches o = launches.get(i);
      launches(out.append(i == 0 ? "" : ", "), o);
      String key = ops.containsKey(o.op()) || ops.size() < MAX_OPS ? o.op() : OTHER_OPS;
      ops.computeIfAbsent(key, OpLaunches::empty).add(o);
    }
    return out.append(']').toString();
  }

  /** Whether any step so far had GPU records. */
  public boolean any() {
    return gpuSteps > 0;
  }

  /** The run totals: {@code "gpu_idle_totals": [...], "gpu_launch_stats": {...}} (no trailing comma). */
  public StringBuilder appendTotals(StringBuilder out) {
    out.append("\"gpu_idle_totals\": {\"steps\": ").append(gpuSteps).append(", \"kernel_wait_threshold_ns\": ")
        .append(GpuIdleSplit.KERNEL_WAIT_THRESHOLD_NS).append(", \"streams\": [");
    int i = 0;
    for (Map.Entry<Long, long[]> e : streams.entrySet()) {
      long[] t = e.getValue();
      long[] values = new long[t.length - 1];
      System.arraycopy(t, 1, values, 0, values.length);
      idle(out.append(i++ == 0 ? "" : ", "), (int) (e.getKey() >>> 32), (int) (long) e.getKey(), t[0], values);
    }
    out.append("]}, \"gpu_launch_stats\": {\"delay_outlier_ns\": ").append(LaunchStats.DELAY_OUTLIER_NS)
        .append(", \"slow_launch_ns\": ").append(LaunchStats.SLOW_LAUNCH_NS).append(", \"ops\": [");
    i = 0;
    for (OpLaunches o : ops.values()) {
      launches(out.append(i++ == 0 ? "" : ", "), o);
    }
    return out.append("]}");
  }

  /** The waits, then the host-wait reasons. */
  private static long[] values(StreamIdle s) {
    long[] v = new long[Wait.values().length + IdleReason.values().length];
    for (Wait w : Wait.values()) {
      v[w.ordinal()] = s.waitNs(w);
    }
    for (IdleReason r : IdleReason.values()) {
      v[Wait.values().length + r.ordinal()] = s.hostWaitNs(r);
    }
    return v;
  }

  private static void idle(StringBuilder out, int device, int stream, long steps, long[] values) {
    long idle = 0;
    for (Wait w : Wait.values()) {
      idle += values[w.ordinal()];
    }
    out.append("{\"device\": ").append(device).append(", \"stream\": ").append(stream);
    if (steps >= 0) {
      out.append(", \"steps\": ").append(steps);
    }
    out.append(", \"idle_ns\": ").append(idle);
    for (Wait w : Wait.values()) {
      out.append(", \"").append(w.key()).append("_ns\": ").append(values[w.ordinal()]);
    }
    out.append(", \"host_wait_by\": {");
    for (IdleReason r : IdleReason.values()) {
      out.append(r.ordinal() == 0 ? "\"" : ", \"").append(r.key()).append("\": ")
          .append(values[Wait.values().length + r.ordinal()]);
    }
    out.append("}}");
  }

  private static void launches(StringBuilder out, OpLaunches o) {
    Json.string(out.append("{\"op\": "), o.op());
    out.append(", \"launches\": ").append(o.launches()).append(", \"launch_unknown\": ").append(o.unknown())
        .append(", \"launch_delay_total_ns\": ").append(o.delayTotalNs())
        .append(", \"launch_delay_mean_ns\": ").append(o.delayMeanNs())
        .append(", \"launch_delay_max_ns\": ").append(o.delayMaxNs())
        .append(", \"launch_api_total_ns\": ").append(o.apiTotalNs())
        .append(", \"shorter_than_launch\": ").append(o.shorterThanLaunch())
        .append(", \"launch_delay_outliers\": ").append(o.delayOutliers())
        .append(", \"slow_launches\": ").append(o.slowLaunches()).append('}');
  }
}
