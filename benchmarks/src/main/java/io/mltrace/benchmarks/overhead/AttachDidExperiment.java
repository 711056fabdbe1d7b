package io.mltrace.benchmarks.overhead;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The difference-in-differences method ({@code attach-did}): both sides start without the agent (side A with it in
 * mode {@code off} for the {@code off>...} comparisons) and take {@code warmup + steps} turns in lockstep (ratio
 * "before"); then the agent is attached to side A in the comparison's mode (nothing is attached for {@code aa};
 * {@code off>...} reconfigures the agent already there) while both wait, and both take {@code warmupAfter + steps}
 * turns more (ratio "after"). A pair's figure is after over before: the two JVMs' own difference, which a plain
 * lockstep pair carries into its ratio (±3 % per DJL pair on a quiet machine), cancels as long as it holds over the
 * pair's life; the A/A row says how well it holds. The agent runs attached, with its classes retransformed, and the
 * second warm-up lets the JIT settle again before the steps that count: retransformation throws away the compiled
 * code of the advised methods, and a method that runs once per step reaches C2 only after some 10,000 steps.
 */
final class AttachDidExperiment implements Experiment {
  /**
   * One comparison of the method.
   *
   * @param launchedWith side A's agent options at launch ({@code null}: no agent)
   * @param attached the options attached to side A after the first turns ({@code null}: nothing, the control)
   */
  record Attachment(String mode, String launchedWith, String attached) {
    String shown() {
      return attached == null ? "nothing (A/A control)"
          : launchedWith == null ? shownOptions(attached)
          : "launched with " + shownOptions(launchedWith) + ", then reconfigured to " + shownOptions(attached);
    }

    private static String shownOptions(String options) {
      return "`" + options.replaceAll("output=[^,]*", "output=<tmp>") + "`";
    }
  }

  private final Launcher launcher;
  private final HarnessOptions options;

  AttachDidExperiment(Launcher launcher, HarnessOptions options) {
    this.launcher = launcher;
    this.options = options;
  }

  @Override
  public MarkdownTable table() {
    return new MarkdownTable("job", "attached to side A", "pairs", "median of after/before", "min", "max",
        "per pair (after/before)", "ratio A/B before attaching, per pair", "CPU-time ratio after, median (min–max)",
        "load avg (1 min)");
  }

  /**
   * What {@code attach-did} attaches for a comparison: {@code off>default} starts A with the agent in mode
   * {@code off} and then reconfigures it to {@code default}, which measures what {@code default} adds to {@code off}
   * within one JVM and with the classes instrumented at load; the others start A without the agent.
   */
  Attachment attachment(Job job, String mode, int pair) {
    Path out = launcher.work.resolve(job.cliName + "-did-" + mode + "-" + pair);
    String common = ",console=off,report_interval=0,output=" + out;
    String launched = mode.startsWith("off>") ? "mode=off" + common : null;
    switch (mode) {
      case "aa":
        return new Attachment(mode, null, null);
      case "off":
      case "full":
        return new Attachment(mode, null, "mode=" + mode + common);
      case "off>off":
        return new Attachment(mode, launched, "mode=off" + common);
      case "default":
      case "off>default":
        return new Attachment(mode, launched, "mode=default" + common + ",sample_every=" + options.sampleEvery());
      default:
        throw new IllegalArgumentException(
            "unknown comparison '" + mode + "' for attach-did (aa, off, default, full, off>default, off>off)");
    }
  }

  @Override
  public void rows(Job job, MarkdownTable table) throws Exception {
    List<String> modes = options.modes();
    int steps = options.steps();
    Map<String, List<LockstepPair.Result[]>> results = new LinkedHashMap<>();
    Map<String, List<Double>> loads = new LinkedHashMap<>();
    for (String mode : modes) {
      attachment(job, mode, 0);
      results.put(mode, new ArrayList<>());
      loads.put(mode, new ArrayList<>());
    }
    for (int i = 1; i <= options.pairs(); i++) {
      for (String mode : modes) {
        Attachment at = attachment(job, mode, i);
        double load = Stats.loadAverage();
        String prefix = job.cliName + "-did-" + mode + "-" + i;
        LockstepPair.Intervention attach = at.attached() == null ? pid -> { } : pid -> {
          String said = launcher.attach(pid, List.of(at.attached().split(",")));
          if (!said.contains("attached") && !said.contains("already loaded")) {
            throw new IllegalStateException("attach failed: " + said);
          }
          System.err.println("  attach: " + said.trim().replace('\n', ' '));
        };
        Arm launchedA = at.launchedWith() == null ? Arm.none()
            : Arm.mltrace("launched", launcher.agent(), false, at.launchedWith(), null, "");
        LockstepPair.Result[] r = LockstepPair.runAround(launcher.command(job, launchedA, true),
            launcher.command(job, Arm.none(), true), options.warmup(), steps, options.pinCpu(),
            launcher.work.resolve(prefix + "-a.err"), launcher.work.resolve(prefix + "-b.err"), attach,
            options.warmupAfter());
        results.get(mode).add(r);
        loads.get(mode).add(load);
        System.err.printf(Locale.ROOT, "%s did %s pair %d (load %.2f): before %.4f (halves %.4f, %.4f), after %.4f "
            + "(halves %.4f, %.4f), after/before %.4f; median step A before %.3f ms, after %.3f ms, B %.3f ms, "
            + "%.3f ms; CPU ratio before %.4f, after %.4f%n", job.cliName, mode, i, load, r[0].medianStepRatio(),
            r[0].medianStepRatio(0, steps / 2), r[0].medianStepRatio(steps / 2, steps), r[1].medianStepRatio(),
            r[1].medianStepRatio(0, steps / 2), r[1].medianStepRatio(steps / 2, steps),
            r[1].medianStepRatio() / r[0].medianStepRatio(), r[0].a.medianStepNs() / 1e6,
            r[1].a.medianStepNs() / 1e6, r[0].b.medianStepNs() / 1e6, r[1].b.medianStepNs() / 1e6,
            r[0].cpuRatio(), r[1].cpuRatio());
        LockstepExperiment.printDetails("A after", r[1].a);
        LockstepExperiment.printDetails("B after", r[1].b);
      }
    }
    for (String mode : modes) {
      List<Double> did = new ArrayList<>();
      List<Double> before = new ArrayList<>();
      List<Double> cpu = new ArrayList<>();
      for (LockstepPair.Result[] r : results.get(mode)) {
        did.add(r[1].medianStepRatio() / r[0].medianStepRatio());
        before.add(r[0].medianStepRatio());
        cpu.add(r[1].cpuRatio());
      }
      Stats.Spread d = Stats.Spread.of(did);
      Stats.Spread c = Stats.Spread.of(cpu);
      Stats.Spread load = Stats.Spread.of(loads.get(mode));
      table.row("| %s | %s | %d | %.4fx | %.4f | %.4f | %s | %s | %.3f (%.3f–%.3f) | %.2f–%.2f |", job.cliName,
          attachment(job, mode, 0).shown(), options.pairs(), d.median(), d.min(), d.max(), Stats.joined(did, "%.4f"),
          Stats.joined(before, "%.4f"), c.median(), c.min(), c.max(), load.min(), load.max());
    }
  }
}
