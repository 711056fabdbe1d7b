package io.mltrace.collector;

import java.util.List;

/**
 * A step's GPU facts, computed once by the collector for a step with GPU records: the device timeline
 * ({@link GpuTimeline}), each stream's idle split ({@link GpuIdleSplit}) and the launch statistics per launching op
 * ({@link LaunchStats}). Every exporter reads these; none recomputes them.
 */
public final class StepGpu {
  private final int records;
  private final GpuTimeline timeline;
  private final GpuIdleSplit idleSplit;
  private final List<LaunchStats.OpLaunches> launches;

  private StepGpu(int records, GpuTimeline timeline, GpuIdleSplit idleSplit, List<LaunchStats.OpLaunches> launches) {
    this.records = records;
    this.timeline = timeline;
    this.idleSplit = idleSplit;
    this.launches = launches;
  }

  /** The facts of the step {@code [startNs, endNs)}; null when {@code activities} hold no GPU record. */
  static StepGpu of(long startNs, long endNs, SpanTree tree, List<ExternalActivity> activities) {
    int records = 0;
    for (ExternalActivity a : activities) {
      records += a.kind().isGpu() ? 1 : 0;
    }
    if (records == 0) {
      return null;
    }
    return new StepGpu(records, GpuTimeline.of(startNs, endNs, tree, activities),
        GpuIdleSplit.of(startNs, endNs, tree.inStartOrder(), activities),
        List.copyOf(LaunchStats.of(tree, activities)));
  }

  /** GPU records (kernels, copies, memsets) in the step. */
  public int records() {
    return records;
  }

  public GpuTimeline timeline() {
    return timeline;
  }

  public GpuIdleSplit idleSplit() {
    return idleSplit;
  }

  /** Per launching op, in the order each op first launched. */
  public List<LaunchStats.OpLaunches> launches() {
    return launches;
  }

  /** The share of the step's wall time in which the device was doing something (kernel, copy or memset). */
  public double busyRatio(long wallNs) {
    return wallNs <= 0 ? 0 : (double) (wallNs - timeline.deviceNs(GpuTimeline.DeviceUse.IDLE)) / wallNs;
  }
}
