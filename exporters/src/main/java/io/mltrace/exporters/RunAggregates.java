package io.mltrace.exporters;

import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Run-wide aggregates that several outputs share: per op (kind and name) count, time and FLOPs; the top host
 * frames of framework and unattributed time; how much of the step time was estimated, and the check of the
 * estimates in the steps that timed every op ({@link io.mltrace.collector.Estimates}). Fed on the collector thread;
 * bounded by the number of distinct op names and frames (at most {@code maxKeys} each, the rest counted under {@code "(other)"}).
 */
public final class RunAggregates {
  /** Totals for one op name. */
  public static final class OpStats {
    public final String kind;
    public final String name;
    public long count;
    public long totalNs;
    public long flops;

    OpStats(String kind, String name) {
      this.kind = kind;
      this.name = name;
    }

    public long meanNs() {
      return count == 0 ? 0 : totalNs / count;
    }

    /** Achieved GFLOP/s inside this op (FLOPs per nanosecond); 0 without FLOPs. */
    public double gflops() {
      return totalNs == 0 ? 0 : (double) flops / totalNs;
    }
  }

  private static final int DEFAULT_MAX_KEYS = 1000;
  private final int maxKeys;
  private final Map<String, OpStats> ops = new HashMap<>();
  private final Map<String, Integer> frames = new HashMap<>();
  private long estimatedNs;
  private long checkSteps;
  private long checkEstimatedNs;
  private long checkMeasuredNs;
  /** The last {@link #CHECK_ERRORS} checking steps' own errors, for their median. */
  private final double[] checkErrors = new double[CHECK_ERRORS];
  private int checkErrorsKept;
  private int checkErrorNext;

  /** Checking steps whose own errors are kept for the median (the most recent ones). */
  static final int CHECK_ERRORS = 1024;

  public RunAggregates() {
    this(DEFAULT_MAX_KEYS);
  }

  /** Estimated step time over the run (op time that counted steps did not time, the backward GEMM estimate). */
  public long estimatedNs() {
    return estimatedNs;
  }

  /** Detailed steps that checked the estimates. */
  public long checkSteps() {
    return checkSteps;
  }

  /** What the counting path would have estimated for the ops of the steps that timed every op. */
  public long checkEstimatedNs() {
    return checkEstimatedNs;
  }

  /** What those ops measured. */
  public long checkMeasuredNs() {
    return checkMeasuredNs;
  }

  /** How far the estimates were off in those steps, (estimated - measured) / measured; NaN without a check. */
  public double checkError() {
    return checkMeasuredNs == 0 ? Double.NaN : (double) (checkEstimatedNs - checkMeasuredNs) / checkMeasuredNs;
  }

  /**
   * The median over the checking steps (the last {@link #CHECK_ERRORS}) of each step's own error, NaN without a
   * check. Beside {@link #checkError}, which weighs every op's time: the estimates leave out an op's rare slow calls
   * (a descheduled thread, a cache-cold first call; see the bridge's {@code OpCosts}), which a checking step measures,
   * so a few such steps move the total far more than they move the typical step.
   */
  public double checkMedianStepError() {
    return median(checkErrors, checkErrorsKept);
  }

  /** The median of {@code values[0, n)} (the mean of the middle two for even n); NaN for none. */
  static double median(double[] values, int n) {
    if (n == 0) {
      return Double.NaN;
    }
    double[] sorted = java.util.Arrays.copyOf(values, n);
    java.util.Arrays.sort(sorted);
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  RunAggregates(int maxKeys) {
    this.maxKeys = maxKeys;
  }

  public void add(Step step) {
    estimatedNs += step.estimates().estimatedNs();
    if (step.estimates().checkMeasuredNs() > 0) {
      checkSteps++;
      checkEstimatedNs += step.estimates().checkEstimatedNs();
      checkMeasuredNs += step.estimates().checkMeasuredNs();
      checkErrors[checkErrorNext] = (double) (step.estimates().checkEstimatedNs()
          - step.estimates().checkMeasuredNs()) / step.estimates().checkMeasuredNs();
      checkErrorNext = (checkErrorNext + 1) % CHECK_ERRORS;
      checkErrorsKept = Math.min(checkErrorsKept + 1, CHECK_ERRORS);
    }
    for (Span s : step.spans()) {
      if (!s.activityKind().isOp()) {
        continue;
      }
      String kind = s.activityKind().key();
      String key = kind + "/" + s.name();
      OpStats o = ops.get(key);
      if (o == null) {
        if (ops.size() >= maxKeys) {
          key = kind + "/(other)";
          o = ops.computeIfAbsent(key, k -> new OpStats(kind, "(other)"));
        } else {
          o = new OpStats(kind, s.name());
          ops.put(key, o);
        }
      }
      o.count++;
      o.totalNs += s.durationNs();
      o.flops += s.flops();
    }
    for (Map.Entry<String, Integer> e : step.hostFrames().entrySet()) {
      String frame = frames.containsKey(e.getKey()) || frames.size() < maxKeys ? e.getKey() : "(other)";
      frames.merge(frame, e.getValue(), Integer::sum);
    }
  }

  /** Ops by total time, largest first. */
  public List<OpStats> opsByTime() {
    List<OpStats> list = new ArrayList<>(ops.values());
    list.sort((a, b) -> Long.compare(b.totalNs, a.totalNs));
    return list;
  }

  /** The {@code n} most sampled host frames with their sample counts. */
  public Map<String, Integer> topFrames(int n) {
    List<Map.Entry<String, Integer>> list = new ArrayList<>(frames.entrySet());
    list.sort((a, b) -> b.getValue() - a.getValue());
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(n, list.size()); i++) {
      out.put(list.get(i).getKey(), list.get(i).getValue());
    }
    return out;
  }

  /** Samples counted in framework or unattributed time over the run. */
  public long frameSamples() {
    long n = 0;
    for (int v : frames.values()) {
      n += v;
    }
    return n;
  }
}
