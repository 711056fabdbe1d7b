package io.mltrace.collector;

import io.mltrace.collector.GpuTimeline.IdleReason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One step's GPU idle time per device stream, split as Holistic Trace Analysis splits it
 * ({@code get_idle_time_breakdown}): each gap before a stream's next GPU record is
 * <ul>
 *   <li>{@code host_wait} when the API call that launched that record began after the stream's previous record
 *       ended: nothing was queued, the GPU waited for the host;</li>
 *   <li>{@code kernel_wait} otherwise, when the gap is shorter than {@link #KERNEL_WAIT_THRESHOLD_NS} (HTA's
 *       {@code consecutive_kernel_delay}): the overhead between back-to-back queued work;</li>
 *   <li>{@code other} otherwise: the record was queued and waited for something else (an event, another
 *       stream).</li>
 * </ul>
 * A record whose launch is unknown (its API record never came) is never host wait, as in HTA.
 * Unlike HTA, which looks only between a stream's records, every moment of the step counts: the gap from the step's
 * start to the first record is classified by that record, and the gap after the stream's last record is
 * {@code host_wait} (all the work the step launched on the stream has run). So the three sum exactly to the step's
 * wall time minus the stream's busy time. Each host-wait gap is then split by what the host was doing meanwhile
 * (GC, JIT/safepoint, data, launch overhead inside an op, framework, nothing recorded), as {@link GpuTimeline} does
 * for the whole device.
 */
public final class GpuIdleSplit {
  /** HTA's default {@code consecutive_kernel_delay}, in ns: shorter gaps between queued records are kernel wait. */
  public static final long KERNEL_WAIT_THRESHOLD_NS = 30;

  /** The three kinds of idle time. */
  public enum Wait {
    HOST_WAIT("host_wait"), KERNEL_WAIT("kernel_wait"), OTHER("other");

    private final String key;

    Wait(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** One stream's idle time in the step. */
  public static final class StreamIdle {
    private final int device;
    private final int stream;
    private final long[] waitNs = new long[Wait.values().length];
    private final long[] hostWaitNs = new long[IdleReason.values().length];

    StreamIdle(int device, int stream) {
      this.device = device;
      this.stream = stream;
    }

    public int device() {
      return device;
    }

    public int stream() {
      return stream;
    }

    /** The stream's idle time in the step: the step's wall time minus the union of its records. */
    public long idleNs() {
      long sum = 0;
      for (long ns : waitNs) {
        sum += ns;
      }
      return sum;
    }

    public long waitNs(Wait w) {
      return waitNs[w.ordinal()];
    }

    /** Host-wait time during which the host was doing {@code r}; these sum to the host wait. */
    public long hostWaitNs(IdleReason r) {
      return hostWaitNs[r.ordinal()];
    }
  }

  private final List<StreamIdle> streams;

  private GpuIdleSplit(List<StreamIdle> streams) {
    this.streams = streams;
  }

  /** The streams with GPU records in the step, by device then stream. */
  public List<StreamIdle> streams() {
    return streams;
  }

  /** Splits the idle time of every stream with GPU records among {@code activities} over {@code [stepStart, stepEnd)}. */
  public static GpuIdleSplit of(long stepStart, long stepEnd, List<Span> spans, List<ExternalActivity> activities) {
    Map<Long, List<ExternalActivity>> byStream = new TreeMap<>();
    for (ExternalActivity a : activities) {
      if (a.kind().isGpu()) {
        byStream.computeIfAbsent((long) a.device() << 32 | (a.stream() & 0xffffffffL), k -> new ArrayList<>()).add(a);
      }
    }
    List<StreamIdle> out = new ArrayList<>(byStream.size());
    if (byStream.isEmpty() || stepEnd <= stepStart) {
      return new GpuIdleSplit(out);
    }
    HostActivityTimeline host = HostActivityTimeline.of(stepStart, stepEnd, spans, activities);
    for (List<ExternalActivity> records : byStream.values()) {
      records.sort(Comparator.comparingLong(ExternalActivity::startNs));
      StreamIdle s = new StreamIdle(records.get(0).device(), records.get(0).stream());
      long previousEnd = stepStart;
      for (ExternalActivity r : records) {
        long gapStart = Math.max(previousEnd, stepStart);
        long gapEnd = Math.min(r.startNs(), stepEnd);
        if (gapEnd > gapStart) {
          Wait w = r.launchKnown() && r.launchStartNs() > previousEnd ? Wait.HOST_WAIT
              : r.startNs() - previousEnd < KERNEL_WAIT_THRESHOLD_NS ? Wait.KERNEL_WAIT
              : Wait.OTHER;
          credit(s, w, gapStart, gapEnd, host);
        }
        previousEnd = Math.max(previousEnd, r.endNs());
      }
      if (stepEnd > Math.max(previousEnd, stepStart)) {
        credit(s, Wait.HOST_WAIT, Math.max(previousEnd, stepStart), stepEnd, host);
      }
      out.add(s);
    }
    return new GpuIdleSplit(out);
  }

  private static void credit(StreamIdle s, Wait w, long from, long to, HostActivityTimeline host) {
    s.waitNs[w.ordinal()] += to - from;
    if (w == Wait.HOST_WAIT) {
      host.attribute(from, to, s.hostWaitNs);
    }
  }
}
