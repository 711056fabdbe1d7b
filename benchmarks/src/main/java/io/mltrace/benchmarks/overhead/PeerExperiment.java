package io.mltrace.benchmarks.overhead;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code peers} method: on each job, every arm that applies to it ({@link Peer}) against no profiler, in
 * lockstep pairs; pair {@code i} of every arm runs before pair {@code i + 1} of any, so a change in the machine's
 * load over the batch falls on all arms alike, the A/A control included. One row per job and arm: the step-time
 * ratio (median over pairs of the median per-step ratio, and its range), the time to the first step and what the
 * arm adds to it, the extra CPU time of the JVM up to its last step, peak RSS and the Java heap the arm adds, the
 * bytes it writes per step, and what it can see. An arm that cannot run here gets a row with the reason.
 */
final class PeerExperiment implements Experiment {
  private final Launcher launcher;
  private final HarnessOptions options;
  private final PeerTools tools;

  /** One arm's pairs on one job, or why it did not run. */
  private static final class Outcome {
    final Peer peer;
    final List<LockstepPair.Result> results = new ArrayList<>();
    final List<Double> loads = new ArrayList<>();
    final List<Long> outputBytes = new ArrayList<>();
    Arm arm;
    String failure;
    /** Runs of this arm whose JVM crashed in the JVM itself (hs_err), each rerun once. */
    int crashes;

    Outcome(Peer peer) {
      this.peer = peer;
    }
  }

  /** What HotSpot prints when it dies of a fatal error (and writes an hs_err file). */
  static final String JVM_CRASH = "A fatal error has been detected by the Java Runtime Environment";

  PeerExperiment(Launcher launcher, HarnessOptions options, Path peersFolder) {
    this.launcher = launcher;
    this.options = options;
    this.tools = new PeerTools(launcher.agent(), peersFolder, launcher.work);
  }

  @Override
  public MarkdownTable table() {
    return new MarkdownTable("job", "arm", "how", "pairs", "step time vs none: median (min–max)",
        "time to first step, s (vs none)", "extra CPU to last step, s", "peak RSS, MiB (vs none)",
        "Java heap vs none, MiB", "output, bytes/step", "what it can see", "load avg (1 min)");
  }

  @Override
  public void rows(Job job, MarkdownTable table) throws Exception {
    List<Outcome> outcomes = new ArrayList<>();
    for (Peer peer : options.arms()) {
      if (peer.appliesTo(job)) {
        outcomes.add(new Outcome(peer));
      }
    }
    for (int i = 1; i <= options.pairs(); i++) {
      for (Outcome o : outcomes) {
        if (o.failure == null) {
          runPair(job, o, i);
        }
      }
    }
    for (Outcome o : outcomes) {
      table.row("%s", row(job, o));
    }
  }

  private void runPair(Job job, Outcome o, int pair) throws IOException {
    runPair(job, o, pair, false);
  }

  /**
   * A JVM that another tool crashed (async-profiler 3.0's itimer arm once died in C2's compiler, with no mltrace in
   * that JVM) is run again once and counted in the row's "how" cell; mltrace's own arms never are: a crash there is
   * the agent's, and the row says it did not run.
   */
  private void runPair(Job job, Outcome o, int pair, boolean rerun) throws IOException {
    String prefix = job.cliName + "-" + o.peer.cliName() + "-" + pair + (rerun ? "-rerun" : "");
    Path out = Files.createDirectories(launcher.work.resolve(prefix));
    try {
      o.arm = o.peer.arm(tools, out);
      double load = Stats.loadAverage();
      LockstepPair.Result r = LockstepPair.run(launcher.command(job, o.arm, true),
          launcher.command(job, Arm.none(), true), options.warmup(), options.steps(), options.pinCpu(),
          launcher.work.resolve(prefix + "-a.err"), launcher.work.resolve(prefix + "-b.err"));
      o.results.add(r);
      o.loads.add(load);
      o.outputBytes.add((o.arm.output() == null ? 0 : bytesUnder(o.arm.output()))
          + r.a.vitals.reportedOutputBytes());
      System.err.printf(Locale.ROOT, "%s %s pair %d (load %.2f): median step A %.3f ms, B %.3f ms; ratio %.4f; "
          + "first step A %.2f s, B %.2f s; CPU to last step A %.2f s, B %.2f s%n", job.cliName, o.peer.cliName(),
          pair, load, r.a.medianStepNs() / 1e6, r.b.medianStepNs() / 1e6, r.medianStepRatio(),
          r.a.vitals.timeToFirstStepSeconds(), r.b.vitals.timeToFirstStepSeconds(), r.a.vitals.totalCpuNs() / 1e9,
          r.b.vitals.totalCpuNs() / 1e9);
      LockstepExperiment.printDetails("A", r.a);
    } catch (Exception e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      if (!rerun && !o.peer.isMltrace() && message.contains(JVM_CRASH)) {
        o.crashes++;
        System.err.println(job.cliName + " " + o.peer.cliName() + " pair " + pair + ": the JVM crashed; run again");
        runPair(job, o, pair, true);
        return;
      }
      // An arm that does not load or breaks the job here gets its reason in the table instead of figures.
      o.failure = firstLines(message);
      System.err.println(job.cliName + " " + o.peer.cliName() + " did not run: " + e);
    }
  }

  private String row(Job job, Outcome o) {
    String how = (o.arm == null ? "" : o.arm.shown())
        + (o.crashes == 0 ? "" : " (its JVM crashed in " + o.crashes + " run(s), each run again)");
    if (o.results.isEmpty()) {
      return String.format(Locale.ROOT, "| %s | %s | %s | 0 | did not run: %s | | | | | | %s | |", job.cliName,
          o.peer.title, how, o.failure, o.peer.sees);
    }
    List<Double> ratios = new ArrayList<>();
    List<Double> firstA = new ArrayList<>();
    List<Double> firstDelta = new ArrayList<>();
    List<Double> cpuDelta = new ArrayList<>();
    List<Double> rssA = new ArrayList<>();
    List<Double> rssDelta = new ArrayList<>();
    List<Double> heapDelta = new ArrayList<>();
    List<Double> bytesPerStep = new ArrayList<>();
    int stepsTaken = options.warmup() + options.steps();
    for (int i = 0; i < o.results.size(); i++) {
      LockstepPair.Result r = o.results.get(i);
      LockstepPair.Vitals a = r.a.vitals;
      LockstepPair.Vitals b = r.b.vitals;
      ratios.add(r.medianStepRatio());
      firstA.add(a.timeToFirstStepSeconds());
      firstDelta.add(a.timeToFirstStepSeconds() - b.timeToFirstStepSeconds());
      cpuDelta.add((a.totalCpuNs() - b.totalCpuNs()) / 1e9);
      rssA.add(a.peakRssBytes() / 1048576.0);
      rssDelta.add((a.peakRssBytes() - b.peakRssBytes()) / 1048576.0);
      heapDelta.add((a.heapUsedBytes() - b.heapUsedBytes()) / 1048576.0);
      bytesPerStep.add((double) o.outputBytes.get(i) / stepsTaken);
    }
    Stats.Spread ratio = Stats.Spread.of(ratios);
    Stats.Spread load = Stats.Spread.of(o.loads);
    String failed = o.failure == null ? "" : " (a later pair failed: " + o.failure + ")";
    return String.format(Locale.ROOT, "| %s | %s | %s | %d | %.3fx (%.3f–%.3f)%s | %.1f (%+.1f) | %+.1f | %.0f (%+.0f) "
        + "| %+.1f | %.0f | %s | %.2f–%.2f |", job.cliName, o.peer.title, how, o.results.size(), ratio.median(),
        ratio.min(), ratio.max(), failed, median(firstA), median(firstDelta), median(cpuDelta), median(rssA),
        median(rssDelta), median(heapDelta), median(bytesPerStep), o.peer.sees, load.min(), load.max());
  }

  private static double median(List<Double> values) {
    return Stats.median(Stats.sorted(values));
  }

  /** A failure's message as one table cell: its first lines, without the cell separator. */
  private static String firstLines(String message) {
    String oneLine = message.replace('\n', ' ').replace('|', '/').replaceAll("\\s+", " ").trim();
    return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine;
  }

  private static long bytesUnder(Path path) {
    if (!Files.exists(path)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(path)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
