package io.mltrace.collector;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kernel launch statistics per launching op, as Holistic Trace Analysis computes them
 * ({@code get_cuda_kernel_launch_stats}), for GPU records (kernels, copies, memsets) whose launching API call is
 * known:
 * <ul>
 *   <li>launch delay: from the start of the API call ({@code cudaLaunchKernel}, {@code cudaMemcpyAsync}...) to the
 *       start of the work on the device; HTA measures from the call's end, so ours is larger by the call's
 *       duration (kept too, as {@code api_ns});</li>
 *   <li>work shorter than its launch: device duration below the API call's duration, where launching costs more
 *       than the work;</li>
 *   <li>launch-delay outliers (delay over {@link #DELAY_OUTLIER_NS}) and slow launches (API call over
 *       {@link #SLOW_LAUNCH_NS}), HTA's default cut-offs.</li>
 * </ul>
 * The key is the name of the span that launched the record (an op, or the phase or layer around a launch outside
 * any op); records joined to no span of the step are under {@link #NO_SPAN}.
 */
public final class LaunchStats {
  /** HTA's {@code launch_delay_cutoff}: 100 µs. */
  public static final long DELAY_OUTLIER_NS = 100_000;
  /** HTA's {@code runtime_cutoff}: 50 µs. */
  public static final long SLOW_LAUNCH_NS = 50_000;
  /** The key of records launched outside the step's spans. */
  public static final String NO_SPAN = "(no span)";

  /** The statistics of one op's launches. */
  public static final class OpLaunches {
    private final String op;
    long launches;
    long unknown;
    long delayTotalNs;
    long delayMaxNs;
    long apiTotalNs;
    long shorterThanLaunch;
    long delayOutliers;
    long slowLaunches;

    OpLaunches(String op) {
      this.op = op;
    }

    public String op() {
      return op;
    }

    /** GPU records whose launch is known; every other count but {@link #unknown} is over these. */
    public long launches() {
      return launches;
    }

    /** GPU records of this op whose launching API call is unknown (its record never came). */
    public long unknown() {
      return unknown;
    }

    public long delayTotalNs() {
      return delayTotalNs;
    }

    public long delayMaxNs() {
      return delayMaxNs;
    }

    public long delayMeanNs() {
      return launches == 0 ? 0 : delayTotalNs / launches;
    }

    /** Total duration of the launching API calls. */
    public long apiTotalNs() {
      return apiTotalNs;
    }

    public long shorterThanLaunch() {
      return shorterThanLaunch;
    }

    public long delayOutliers() {
      return delayOutliers;
    }

    public long slowLaunches() {
      return slowLaunches;
    }

    /** Adds another set of launches of the same op (run totals). */
    public void add(OpLaunches o) {
      launches += o.launches;
      unknown += o.unknown;
      delayTotalNs += o.delayTotalNs;
      delayMaxNs = Math.max(delayMaxNs, o.delayMaxNs);
      apiTotalNs += o.apiTotalNs;
      shorterThanLaunch += o.shorterThanLaunch;
      delayOutliers += o.delayOutliers;
      slowLaunches += o.slowLaunches;
    }

    /** An empty set of launches of {@code op}, to sum others into. */
    public static OpLaunches empty(String op) {
      return new OpLaunches(op);
    }
  }

  private LaunchStats() {}

  /** Per launching op, in the order each op first launched, over the step's GPU records. */
  public static List<OpLaunches> of(List<Span> spans, List<ExternalActivity> activities) {
    return of(SpanTree.of(spans), activities);
  }

  /** As {@link #of(List, List)}, with the step's spans as the collector built them. */
  static List<OpLaunches> of(SpanTree tree, List<ExternalActivity> activities) {
    Map<String, OpLaunches> byOp = new LinkedHashMap<>();
    for (ExternalActivity a : activities) {
      if (!a.kind().isGpu()) {
        continue;
      }
      Span launcher = tree.byId(a.correlatedSpanId());
      OpLaunches o = byOp.computeIfAbsent(launcher == null ? NO_SPAN : launcher.name(), OpLaunches::new);
      if (!a.launchKnown()) {
        o.unknown++;
        continue;
      }
      long delay = a.startNs() - a.launchStartNs();
      long api = a.launchEndNs() - a.launchStartNs();
      o.launches++;
      o.delayTotalNs += delay;
      o.delayMaxNs = Math.max(o.delayMaxNs, delay);
      o.apiTotalNs += api;
      o.shorterThanLaunch += a.durationNs() < api ? 1 : 0;
      o.delayOutliers += delay > DELAY_OUTLIER_NS ? 1 : 0;
      o.slowLaunches += api > SLOW_LAUNCH_NS ? 1 : 0;
    }
    return new ArrayList<>(byOp.values());
  }
}
