package io.mltrace.gpu;

import io.mltrace.collector.GpuTimeline;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.StepSink;
import io.mltrace.collector.GpuTimeline.DeviceUse;
import io.mltrace.collector.GpuTimeline.IdleReason;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Sums the {@link GpuTimeline} ({@link StepGpu#timeline()}) of every step that carries GPU records and prints one line at the end of the run:
 * kernel time (GEMM and other), copies by direction, and the GPU's idle time split by what the host was doing.
 */
public final class GpuReport implements StepSink {
  private final PrintStream out;
  private final long[] deviceNs = new long[DeviceUse.values().length];
  private final long[] idleNs = new long[IdleReason.values().length];
  private long steps;
  private long records;

  public GpuReport(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onStep(Step step) {
    StepGpu gpu = step.gpu();
    if (gpu == null) {
      return;
    }
    GpuTimeline t = gpu.timeline();
    for (DeviceUse u : DeviceUse.values()) {
      deviceNs[u.ordinal()] += t.deviceNs(u);
    }
    for (IdleReason r : IdleReason.values()) {
      idleNs[r.ordinal()] += t.idleNs(r);
    }
    steps++;
    records += gpu.records();
  }

  /** The line printed at the end of the run. */
  public String line() {
    StringBuilder b = new StringBuilder("mltrace gpu: ").append(steps).append(" steps with ").append(records)
        .append(" GPU records; kernels ").append(ms(deviceNs[DeviceUse.GEMM_KERNELS.ordinal()]
            + deviceNs[DeviceUse.OTHER_KERNELS.ordinal()]))
        .append(" (gemm ").append(ms(deviceNs[DeviceUse.GEMM_KERNELS.ordinal()]))
        .append(", other ").append(ms(deviceNs[DeviceUse.OTHER_KERNELS.ordinal()]))
        .append("); copies h2d ").append(ms(deviceNs[DeviceUse.COPY_H2D.ordinal()]))
        .append(", d2h ").append(ms(deviceNs[DeviceUse.COPY_D2H.ordinal()]))
        .append(", d2d ").append(ms(deviceNs[DeviceUse.COPY_D2D.ordinal()]))
        .append(", other/memset ").append(ms(deviceNs[DeviceUse.OTHER_COPY.ordinal()]))
        .append("; idle ").append(ms(deviceNs[DeviceUse.IDLE.ordinal()])).append(" (");
    for (IdleReason r : IdleReason.values()) {
      b.append(r == IdleReason.GC ? "" : ", ").append(r.key()).append(' ').append(ms(idleNs[r.ordinal()]));
    }
    return b.append(')').toString();
  }

  @Override
  public void close() {
    if (steps > 0) {
      out.println(line());
    }
  }

  private static String ms(long ns) {
    return String.format(Locale.ROOT, "%.3f ms", ns / 1e6);
  }
}
