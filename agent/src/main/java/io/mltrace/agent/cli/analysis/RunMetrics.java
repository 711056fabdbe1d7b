package io.mltrace.agent.cli.analysis;

/** The values {@link Bound}s are checked against, computed from a {@link RunProfile}'s analysed steps. */
final class RunMetrics {
  private RunMetrics() {}

  /** The metric in its own unit (ns, share of time, GFLOP/s); NaN when the run has no such metric. */
  static double value(RunProfile run, String metric, String unit) {
    Quantity wall = run.quantity("step", "wall", "time");
    if (wall == null || wall.values().length == 0) {
      return Double.NaN;
    }
    switch (metric) {
      case "step_p50":
      case "step_median":
        return Stats.median(wall.values());
      case "step_p95":
        return Stats.percentile(wall.values(), 95);
      case "step_p99":
        return Stats.percentile(wall.values(), 99);
      case "step_mean":
        return Stats.mean(wall.values());
      case "step_max":
        return Stats.percentile(wall.values(), 100);
      case "gflops":
        return sum(run.quantity("step", "flops", "flops").values()) / sum(wall.values());
      default:
        Quantity category = run.quantity("category", metric, "time");
        if (category == null) {
          return Double.NaN;
        }
        if (unit.equals("%")) {
          return sum(category.values()) / sum(wall.values());
        }
        return Stats.median(category.values());
    }
  }

  static String describe(Bound b, double value, double limit) {
    if (b.metric().equals("gflops")) {
      return Format.f("%.3f GFLOP/s (limit %.3f)", value, limit);
    }
    if (b.unit().equals("%")) {
      return Format.f("%s is %.1f%% of step time (limit %.1f%%)", b.metric(), value * 100, limit * 100);
    }
    return b.metric() + " is " + Format.value(value, "ns") + " (limit " + Format.value(limit, "ns")
        + (b.relativeToBaseline() ? ", " + b.number() + "x the baseline's" : "") + ")";
  }

  private static double sum(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }
}
