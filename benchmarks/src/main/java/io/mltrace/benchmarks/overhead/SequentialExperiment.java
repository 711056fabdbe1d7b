package io.mltrace.benchmarks.overhead;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code sequential} method, the earlier one: one JVM after the other, the ratio of their median step times; the
 * order alternates from pair to pair. It spread by ±25 % on the shared VM, which lockstep cancels.
 */
final class SequentialExperiment implements Experiment {
  private static final Pattern STEP_NS = Pattern.compile("step_ns median=(\\d+)");

  private final Launcher launcher;
  private final Comparisons catalogue;
  private final HarnessOptions options;

  SequentialExperiment(Launcher launcher, Comparisons catalogue, HarnessOptions options) {
    this.launcher = launcher;
    this.catalogue = catalogue;
    this.options = options;
  }

  @Override
  public MarkdownTable table() {
    return new MarkdownTable("job", "comparison", "side A", "side B", "pairs", "median ratio A/B", "min", "max",
        "per pair");
  }

  @Override
  public void rows(Job job, MarkdownTable table) throws Exception {
    for (String mode : options.modes()) {
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < options.pairs(); i++) {
        Comparison c = catalogue.of(job, mode, i + 1);
        long a;
        long b;
        if (i % 2 == 0) {
          b = stepNs(job, c.b());
          a = stepNs(job, c.a());
        } else {
          a = stepNs(job, c.a());
          b = stepNs(job, c.b());
        }
        ratios.add((double) a / b);
        System.err.printf(Locale.ROOT, "%s %s pair %d (load %.2f): A %d ns, B %d ns%n", job.cliName, mode, i + 1,
            Stats.loadAverage(), a, b);
      }
      Stats.Spread ratio = Stats.Spread.of(ratios);
      Comparison shown = catalogue.of(job, mode, options.pairs());
      table.row("| %s | %s | %s | %s | %d | %.3fx | %.3f | %.3f | %s |", job.cliName, mode, shown.a().shown(),
          shown.b().shown(), options.pairs(), ratio.median(), ratio.min(), ratio.max(),
          Stats.joined(ratios, "%.3f"));
    }
  }

  /** One run of the job; its median step time in ns. */
  private long stepNs(Job job, Arm arm) throws Exception {
    List<String> cmd = launcher.command(job, arm, false);
    cmd.addAll(List.of("--steps", String.valueOf(options.steps())));
    String out = launcher.runToEnd(cmd);
    Matcher m = STEP_NS.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no step_ns line from " + cmd + ":\n" + out);
    }
    return Long.parseLong(m.group(1));
  }
}
