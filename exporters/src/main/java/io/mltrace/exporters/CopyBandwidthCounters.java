package io.mltrace.exporters;

import io.mltrace.collector.ActivityKind;
import io.mltrace.collector.ExternalActivity;
import java.util.ArrayList;
import java.util.List;

/**
 * Memcpy and memset bandwidth as Chrome/Perfetto counter tracks on a GPU's process, one per direction ({@code H2D},
 * {@code D2H}, {@code D2D}, other copies, memset), as HTA's memory-bandwidth time series: at every moment, the
 * bytes per second of the transfers of that direction then running (each moves its bytes evenly over its
 * duration; concurrent transfers on several streams add up), in GB/s. A step's transfers give one counter point
 * per start and end, and the track returns to 0 when none runs.
 */
final class CopyBandwidthCounters {
  static final String[] TRACKS = {"H2D", "D2H", "D2D", "other", "memset"};

  private CopyBandwidthCounters() {}

  /** Whether {@code a} has a bandwidth track (a copy or memset with bytes and a duration). */
  static boolean counted(ExternalActivity a) {
    return track(a) >= 0;
  }

  /** Index into {@link #TRACKS}, or -1. */
  static int track(ExternalActivity a) {
    if (!a.kind().isGpu() || a.bytes() <= 0 || a.durationNs() <= 0) {
      return -1;
    }
    if (a.kind() == ActivityKind.GPU_MEMCPY) {
      String d = String.valueOf(a.detail());
      for (int i = 0; i < 3; i++) {
        if (TRACKS[i].equals(d)) {
          return i;
        }
      }
      return 3;
    }
    return a.kind() == ActivityKind.GPU_MEMSET ? 4 : -1;
  }

  /** Appends the counter points of a step's activities, with times relative to {@code baseNs}. */
  static void append(StringBuilder out, List<ExternalActivity> activities, long baseNs) {
    List<ExternalActivity> transfers = new ArrayList<>();
    for (ExternalActivity a : activities) {
      if (counted(a)) {
        transfers.add(a);
      }
    }
    for (int i = 0; i < transfers.size(); i++) {
      ExternalActivity a = transfers.get(i);
      if (isFirstOfItsTrack(transfers, i)) {
        track(out, transfers, a.device(), track(a), baseNs);
      }
    }
  }

  private static boolean isFirstOfItsTrack(List<ExternalActivity> transfers, int i) {
    ExternalActivity a = transfers.get(i);
    for (int j = 0; j < i; j++) {
      ExternalActivity b = transfers.get(j);
      if (b.device() == a.device() && track(b) == track(a)) {
        return false;
      }
    }
    return true;
  }

  /** One device's track: a sweep over its transfers' starts and ends, a point wherever the sum changes. */
  private static void track(StringBuilder out, List<ExternalActivity> transfers, int device, int track,
      long baseNs) {
    List<double[]> changes = new ArrayList<>(); // {time, +/- bytes per ns}
    for (ExternalActivity a : transfers) {
      if (a.device() == device && track(a) == track) {
        double rate = (double) a.bytes() / a.durationNs(); // bytes per ns = GB/s
        changes.add(new double[] {a.startNs(), rate});
        changes.add(new double[] {a.endNs(), -rate});
      }
    }
    changes.sort((x, y) -> Double.compare(x[0], y[0]));
    double rate = 0;
    for (int i = 0; i < changes.size(); i++) {
      rate += changes.get(i)[1];
      if (i + 1 < changes.size() && changes.get(i + 1)[0] == changes.get(i)[0]) {
        continue; // one point per moment
      }
      out.append(",\n{\"ph\": \"C\", \"name\": \"").append(TRACKS[track]).append(" bandwidth\", \"pid\": ")
          .append(ChromeTraceWriter.gpuPid(device)).append(", \"ts\": ");
      Json.micros(out, (long) changes.get(i)[0] - baseNs).append(", \"args\": {\"GB/s\": ");
      out.append(String.format(java.util.Locale.ROOT, "%.3f", Math.abs(rate) < 1e-9 ? 0 : rate)).append("}}");
    }
  }
}
