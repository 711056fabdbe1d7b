package io.mltrace.collector;

import java.util.ArrayList;
import java.util.List;

/**
 * One step's GPU timeline: how the device spent the step's wall time, and for each moment the device was idle,
 * what the host was doing.
 *
 * <p>Device uses, in priority order where records overlap (concurrent streams): GEMM kernels (by the kernel's name,
 * or launched by a GEMM op span), other kernels, host-to-device, device-to-host and device-to-device copies, other
 * copies and memsets, idle. Idle time goes to the host activity over it, in priority order: GC, JIT/safepoint,
 * data loading, launch overhead (inside an op: the host is issuing or preparing work), framework (inside a
 * framework call, outside any op), and {@code host_other} (no recorded host activity). Both splits sum exactly to
 * the step's wall time and to the idle time.
 */
public final class GpuTimeline {
  /** How the device spent time. */
  public enum DeviceUse {
    GEMM_KERNELS("gemm_kernels"), OTHER_KERNELS("other_kernels"), COPY_H2D("copy_h2d"), COPY_D2H("copy_d2h"),
    COPY_D2D("copy_d2d"), OTHER_COPY("other_copy"), IDLE("idle");

    private final String key;

    DeviceUse(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** What the host did while the device was idle. */
  public enum IdleReason {
    GC("gc"), JIT("jit_safepoint"), DATA("data"), LAUNCH_OVERHEAD("launch_overhead"), FRAMEWORK("framework"),
    HOST_OTHER("host_other");

    private final String key;

    IdleReason(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  private final long[] deviceNs;
  private final long[] idleNs;

  private GpuTimeline(long[] deviceNs, long[] idleNs) {
    this.deviceNs = deviceNs;
    this.idleNs = idleNs;
  }

  public long deviceNs(DeviceUse use) {
    return deviceNs[use.ordinal()];
  }

  public long idleNs(IdleReason reason) {
    return idleNs[reason.ordinal()];
  }

  /** Kernel time of all kinds (GEMM and other). */
  public long kernelNs() {
    return deviceNs(DeviceUse.GEMM_KERNELS) + deviceNs(DeviceUse.OTHER_KERNELS);
  }

  /**
   * Computes the timeline of the step {@code [stepStart, stepEnd)} from its host spans and its activities (GPU
   * records and JVM events; others are ignored). Intervals are clipped to the step.
   */
  public static GpuTimeline of(long stepStart, long stepEnd, List<Span> spans, List<ExternalActivity> activities) {
    return of(stepStart, stepEnd, SpanTree.of(spans), activities);
  }

  /** As {@link #of(long, long, List, List)}, with the step's spans as the collector built them. */
  static GpuTimeline of(long stepStart, long stepEnd, SpanTree tree, List<ExternalActivity> activities) {
    List<Span> spans = tree.inStartOrder();
    List<long[]> events = new ArrayList<>(); // {time, +/-(1 + lane)}; lanes 0..5 device, 6..10 host
    for (ExternalActivity a : activities) {
      int lane;
      IdleReason host = HostActivityTimeline.reason(a);
      if (a.kind().isGpu()) {
        lane = deviceLane(a, tree.byId(a.correlatedSpanId())).ordinal();
      } else if (host != null) {
        lane = DEVICE_LANES + host.ordinal();
      } else {
        continue;
      }
      add(events, a.startNs(), a.endNs(), lane, stepStart, stepEnd);
    }
    for (Span s : spans) {
      IdleReason r = HostActivityTimeline.reason(s);
      if (r != null) {
        add(events, s.startNs(), s.endNs(), DEVICE_LANES + r.ordinal(), stepStart, stepEnd);
      }
    }
    events.sort((x, y) -> Long.compare(x[0], y[0]));

    long[] device = new long[DeviceUse.values().length];
    long[] idle = new long[IdleReason.values().length];
    int[] active = new int[DEVICE_LANES + IdleReason.values().length - 1]; // HOST_OTHER is the absence of all
    long cursor = stepStart;
    for (long[] e : events) {
      if (e[0] > cursor) {
        credit(active, e[0] - cursor, device, idle);
        cursor = e[0];
      }
      int d = (int) e[1];
      active[Math.abs(d) - 1] += d > 0 ? 1 : -1;
    }
    if (stepEnd > cursor) {
      credit(active, stepEnd - cursor, device, idle);
    }
    return new GpuTimeline(device, idle);
  }

  private static final int DEVICE_LANES = DeviceUse.values().length - 1; // IDLE is the absence of all

  private static DeviceUse deviceLane(ExternalActivity a, Span launcher) {
    if (a.kind() == ActivityKind.GPU_MEMCPY) {
      switch (String.valueOf(a.detail())) {
        case "H2D": return DeviceUse.COPY_H2D;
        case "D2H": return DeviceUse.COPY_D2H;
        case "D2D": return DeviceUse.COPY_D2D;
        default: return DeviceUse.OTHER_COPY;
      }
    }
    if (a.kind() == ActivityKind.GPU_MEMSET) {
      return DeviceUse.OTHER_COPY;
    }
    boolean gemm = a.category() == Category.GEMM
        || (launcher != null && launcher.activityKind() == ActivityKind.OP_GEMM);
    return gemm ? DeviceUse.GEMM_KERNELS : DeviceUse.OTHER_KERNELS;
  }

  private static void add(List<long[]> events, long start, long end, int lane, long stepStart, long stepEnd) {
    long s = Math.max(start, stepStart);
    long e = Math.min(end, stepEnd);
    if (e > s) {
      events.add(new long[] {s, lane + 1});
      events.add(new long[] {e, -(lane + 1)});
    }
  }

  private static void credit(int[] active, long ns, long[] device, long[] idle) {
    for (int lane = 0; lane < DEVICE_LANES; lane++) {
      if (active[lane] > 0) {
        device[lane] += ns;
        return;
      }
    }
    device[DeviceUse.IDLE.ordinal()] += ns;
    for (int r = 0; r < IdleReason.values().length - 1; r++) {
      if (active[DEVICE_LANES + r] > 0) {
        idle[r] += ns;
        return;
      }
    }
    idle[IdleReason.HOST_OTHER.ordinal()] += ns;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("gpu");
    for (DeviceUse u : DeviceUse.values()) {
      b.append(' ').append(u.key()).append('=').append(deviceNs[u.ordinal()] / 1000).append("us");
    }
    b.append(" idle by host:");
    for (IdleReason r : IdleReason.values()) {
      b.append(' ').append(r.key()).append('=').append(idleNs[r.ordinal()] / 1000).append("us");
    }
    return b.toString();
  }
}
