package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Compares two runs quantity by quantity. A change is <em>significant</em> when all three hold: the per-step values
 * of the two runs differ beyond their own step-to-step noise (two-sided Mann-Whitney U test, {@code p < alpha});
 * the difference of the per-step medians exceeds each run's drift within itself (the difference between the
 * medians of its first and second half: {@link Stats#halfDrift}); and it is large enough to matter: for a time, at
 * least {@code minRelative} of the baseline's value and at least {@code minShareOfStep} of the baseline's median
 * step; for a count, FLOPs or bytes, at least {@code minRelative} of the larger value. A throughput (GFLOP/s)
 * counts only when the time it is measured over (the op's, or the step's) changed significantly as well.
 *
 * <p>Why the last two: the rank test sees only the noise from step to step within each run, not the noise between
 * two JVMs on one machine (other load coming and going, the JIT's choices, the CPU's clock and caches). On this
 * project's shared 2-core machine two runs of one job differed by up to 3 % of the step in a category with p far
 * below 0.01, and under a load average of 6 a phase moved by 5-9 % of the step between two runs while it also
 * drifted by more than that between the halves of one of them (see {@code docs/analysis.md}). The thresholds are
 * options of {@code mltrace diff}.
 */
final class RunDiff {
  static final List<String> SECTIONS = List.of("step", "category", "phase", "op", "kernel", "memory");

  /** Thresholds of {@link RunDiff}. */
  record Thresholds(double alpha, double minRelative, double minShareOfStep) {
    static final Thresholds DEFAULT = new Thresholds(0.01, 0.05, 0.05);
  }

  /**
   * One compared quantity. {@code p} is NaN when it cannot be tested (run totals only, or too few steps);
   * {@code presence} is {@code both}, {@code only A} or {@code only B}.
   */
  record Change(Quantity quantity, double a, double b, double madA, double madB, double drift, double p,
      boolean significant, String presence) {
    double delta() {
      return b - a;
    }

    /** The change relative to the baseline; infinite when the baseline is 0. */
    double relative() {
      return a == 0 ? (b == 0 ? 0 : Double.POSITIVE_INFINITY) : (b - a) / Math.abs(a);
    }
  }

  final RunProfile a;
  final RunProfile b;
  final Thresholds thresholds;
  final List<Change> changes = new ArrayList<>();
  final List<String> notes = new ArrayList<>();

  RunDiff(RunProfile a, RunProfile b, Thresholds thresholds) {
    this.a = a;
    this.b = b;
    this.thresholds = thresholds;
    describeDifferences();
    compare();
  }

  List<Change> significant() {
    List<Change> list = new ArrayList<>();
    for (Change c : changes) {
      if (c.significant()) {
        list.add(c);
      }
    }
    list.sort(Comparator.comparingDouble(this::weight).reversed());
    return list;
  }

  /** How much a change matters, for ordering: a time as a share of the baseline step, others relative. */
  double weight(Change c) {
    if (c.quantity().isTime()) {
      return Math.abs(c.delta()) / Math.max(1, stepMedian());
    }
    double rel = Math.abs(c.relative());
    return Double.isInfinite(rel) ? 1 : Math.min(rel, 1) * 0.5;
  }

  double stepMedian() {
    return a.median("step", "wall", "time");
  }

  private void describeDifferences() {
    if (a.steps != b.steps) {
      notes.add("step counts differ: A " + a.steps + ", B " + b.steps + " analysed steps; per-step medians are"
          + " compared");
    }
    notes.add("warm-up left out: the first " + a.warmup + " steps of A and " + b.warmup + " of B");
    if (a.stepsInTotals > a.stepsInFile || b.stepsInTotals > b.stepsInFile) {
      notes.add("summary_max_steps was reached: only the steps with entries are compared");
    }
    if (!a.framework.equals(b.framework)) {
      notes.add("frameworks differ: A " + a.framework + ", B " + b.framework + "; phases and ops are named by"
          + " each framework's hooks, so most of them appear in one run only");
    }
    if (!a.measuredCategories.equals(b.measuredCategories)) {
      notes.add("measured categories differ: A " + a.measuredCategories + ", B " + b.measuredCategories
          + "; a category one run does not measure reads 0 there");
    }
    Set<String> onlyA = new LinkedHashSet<>(a.categories());
    onlyA.removeAll(b.categories());
    Set<String> onlyB = new LinkedHashSet<>(b.categories());
    onlyB.removeAll(a.categories());
    if (!onlyA.isEmpty() || !onlyB.isEmpty()) {
      notes.add("categories missing: only in A " + onlyA + ", only in B " + onlyB);
    }
    if (a.hasTrace != b.hasTrace) {
      notes.add("only " + (a.hasTrace ? "A" : "B") + " has a trace.json: phases, kernels, memory and per-step op"
          + " values are left out; ops are compared by run totals (untested)");
    } else if (!a.hasTrace) {
      notes.add("no trace.json: ops are compared by run totals from op_stats, without a noise test");
    }
  }

  private void compare() {
    Set<String> keys = new LinkedHashSet<>();
    boolean sameDetail = a.hasTrace == b.hasTrace;
    for (RunProfile run : List.of(a, b)) {
      for (Quantity q : run.quantities.values()) {
        if (sameDetail || SECTIONS.indexOf(q.section()) < 2 || !q.perStep()) {
          keys.add(q.key());
        }
      }
    }
    for (String key : keys) {
      Quantity qa = a.quantities.get(key);
      Quantity qb = b.quantities.get(key);
      if (!sameDetail && (qa == null || qb == null) && SECTIONS.indexOf((qa == null ? qb : qa).section()) >= 2) {
        continue;
      }
      changes.add(change(qa, qb));
    }
    changes.sort(Comparator.comparingInt((Change c) -> SECTIONS.indexOf(c.quantity().section()))
        .thenComparing(Comparator.comparingDouble(this::weight).reversed()));
  }

  private Change change(Quantity qa, Quantity qb) {
    Quantity q = qa != null ? qa : qb;
    String presence = qa == null ? "only B" : qb == null ? "only A" : "both";
    double[] va = qa != null ? qa.values() : new double[qb.perStep() ? Math.max(a.steps, 1) : 1];
    double[] vb = qb != null ? qb.values() : new double[qa.perStep() ? Math.max(b.steps, 1) : 1];
    boolean testable = (qa == null || qa.perStep()) && (qb == null || qb.perStep());
    double ma = Stats.median(va);
    double mb = Stats.median(vb);
    double p = testable ? Stats.mannWhitneyP(va, vb) : Double.NaN;
    double drift = testable ? Math.max(Stats.halfDrift(va), Stats.halfDrift(vb)) : Double.NaN;
    boolean significant = !Double.isNaN(p) && p < thresholds.alpha() && largeEnough(q, ma, mb)
        && Math.abs(mb - ma) > drift;
    if (significant && q.measure().equals("gflops")) {
      significant = timeChanged(q);
    }
    return new Change(q, ma, mb, Stats.mad(va), Stats.mad(vb), drift, p, significant, presence);
  }

  /** Whether the time a throughput is measured over changed significantly. */
  private boolean timeChanged(Quantity rate) {
    String key = rate.section().equals("step") ? "step|wall|time" : rate.section() + "|" + rate.name() + "|time";
    Quantity qa = a.quantities.get(key);
    Quantity qb = b.quantities.get(key);
    return qa != null && qb != null && change(qa, qb).significant();
  }

  private boolean largeEnough(Quantity q, double ma, double mb) {
    double delta = Math.abs(mb - ma);
    if (q.isTime()) {
      return delta >= thresholds.minRelative() * Math.abs(ma)
          && delta >= thresholds.minShareOfStep() * stepMedian();
    }
    return delta > 0 && delta >= thresholds.minRelative() * Math.max(Math.abs(ma), Math.abs(mb));
  }
}
