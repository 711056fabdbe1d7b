package io.mltrace.benchmarks.overhead;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code lockstep} method: per comparison, pairs of JVMs taking turns step by step ({@link LockstepPair}); a
 * pair's figure is the median over the measured steps of the per-step ratio. It cancels the machine's drift but not
 * the difference between two JVMs (±3 % per DJL pair on a quiet VM), so it needs many pairs.
 */
final class LockstepExperiment implements Experiment {
  private final Launcher launcher;
  private final Comparisons catalogue;
  private final HarnessOptions options;

  LockstepExperiment(Launcher launcher, Comparisons catalogue, HarnessOptions options) {
    this.launcher = launcher;
    this.catalogue = catalogue;
    this.options = options;
  }

  @Override
  public MarkdownTable table() {
    return new MarkdownTable("job", "comparison", "side A", "side B", "pairs", "median ratio A/B", "min", "max",
        "per pair (median of per-step ratios)", "CPU-time ratio, median (min–max)", "load avg (1 min)");
  }

  /**
   * Pair {@code i} of every comparison runs before pair {@code i + 1} of any, so a change in the machine's load over
   * the batch (a build starting next door) falls on all comparisons alike, the A/A control included.
   */
  @Override
  public void rows(Job job, MarkdownTable table) throws Exception {
    List<String> modes = options.modes();
    int steps = options.steps();
    Map<String, List<LockstepPair.Result>> results = new LinkedHashMap<>();
    Map<String, List<Double>> loads = new LinkedHashMap<>();
    for (String mode : modes) {
      catalogue.of(job, mode, 0); // rejects an unknown comparison before the first pair runs
      results.put(mode, new ArrayList<>());
      loads.put(mode, new ArrayList<>());
    }
    for (int i = 1; i <= options.pairs(); i++) {
      for (String mode : modes) {
        Comparison c = catalogue.of(job, mode, i);
        double load = Stats.loadAverage();
        String prefix = job.cliName + "-" + Comparisons.fileName(mode) + "-" + i;
        LockstepPair.Result r = LockstepPair.run(launcher.command(job, c.a(), true),
            launcher.command(job, c.b(), true), options.warmup(), steps, options.pinCpu(),
            launcher.work.resolve(prefix + "-a.err"), launcher.work.resolve(prefix + "-b.err"));
        results.get(mode).add(r);
        loads.get(mode).add(load);
        System.err.printf(Locale.ROOT, "%s %s pair %d (load %.2f): median step A %.3f ms, B %.3f ms; per-step "
            + "ratio median %.4f (halves %.4f, %.4f); total ratio %.4f; CPU A %.2f s, B %.2f s, ratio %.4f; "
            + "training thread CPU ratio %.4f%n",
            job.cliName, mode, i, load, r.a.medianStepNs() / 1e6, r.b.medianStepNs() / 1e6, r.medianStepRatio(),
            r.medianStepRatio(0, steps / 2), r.medianStepRatio(steps / 2, steps), r.totalRatio(),
            r.a.cpuNs / 1e9, r.b.cpuNs / 1e9, r.cpuRatio(), r.trainingCpuRatio());
        // Where in the run the difference lies: a warm-up shows as a hump in the early tenths (issue 22).
        StringBuilder tenths = new StringBuilder();
        for (int k = 0; k < 10; k++) {
          tenths.append(String.format(Locale.ROOT, " %.3f", r.medianStepRatio(k * steps / 10, (k + 1) * steps / 10)));
        }
        System.err.println("  ratio by tenth:" + tenths);
        printDetails("A", r.a);
        printDetails("B", r.b);
      }
    }
    for (String mode : modes) {
      List<Double> ratios = new ArrayList<>();
      List<Double> cpuRatios = new ArrayList<>();
      for (LockstepPair.Result r : results.get(mode)) {
        ratios.add(r.medianStepRatio());
        cpuRatios.add(r.cpuRatio());
      }
      Stats.Spread ratio = Stats.Spread.of(ratios);
      Stats.Spread cpu = Stats.Spread.of(cpuRatios);
      Stats.Spread load = Stats.Spread.of(loads.get(mode));
      List<Double> trainingCpu = new ArrayList<>();
      for (LockstepPair.Result r : results.get(mode)) {
        if (!Double.isNaN(r.trainingCpuRatio())) {
          trainingCpu.add(r.trainingCpuRatio());
        }
      }
      if (!trainingCpu.isEmpty()) {
        Stats.Spread t = Stats.Spread.of(trainingCpu);
        System.err.printf(Locale.ROOT, "%s %s: training thread CPU ratio median %.4f (%.4f-%.4f) over %d pairs%n",
            job.cliName, mode, t.median(), t.min(), t.max(), trainingCpu.size());
      }
      Comparison shown = catalogue.of(job, mode, 0);
      table.row("| %s | %s | %s | %s | %d | %.4fx | %.4f | %.4f | %s | %.3f (%.3f–%.3f) | %.2f–%.2f |", job.cliName,
          mode, shown.a().shown(), shown.b().shown(), options.pairs(), ratio.median(), ratio.min(), ratio.max(),
          Stats.joined(ratios, "%.4f"), cpu.median(), cpu.min(), cpu.max(), load.min(), load.max());
    }
  }

  /** One side's threads that took at least 50 ms of CPU over the measured steps, and its agent's stderr lines. */
  static void printDetails(String side, LockstepPair.Side s) {
    StringBuilder line = new StringBuilder();
    s.threadCpuNs.entrySet().stream()
        .filter(e -> e.getValue() >= 50_000_000L)
        .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
        .forEach(e -> line.append(String.format(Locale.ROOT, " %s %.2f s;", e.getKey(), e.getValue() / 1e9)));
    System.err.println("  " + side + " threads:" + line);
    for (String agentLine : s.agentLines) {
      System.err.println("  " + side.charAt(0) + ": " + agentLine);
    }
  }
}
