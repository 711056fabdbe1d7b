package io.mltrace.benchmarks.overhead;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * Measures the agent's cost on the step-time jobs ({@link StepTimeJob} for DJL, {@link Dl4jStepTimeJob} for DL4J),
 * and its peers' on the same jobs. Prints Markdown rows on stdout and each pair's details on stderr.
 *
 * <p>Four methods ({@link HarnessOptions.Method}). {@code lockstep} (the default, {@link LockstepExperiment}) runs
 * the two JVMs of a pair at once, taking turns step by step ({@link LockstepPair}). {@code sequential}
 * ({@link SequentialExperiment}) runs one JVM after the other. {@code attach-did} ({@link AttachDidExperiment})
 * measures each lockstep pair before and after attaching the agent to side A; {@code --warmup-after} sets the
 * warm-up after the attach. {@code peers} ({@link PeerExperiment}) runs every arm of {@link Peer} (mltrace's modes,
 * the frameworks' own profilers, JFR, async-profiler, the OpenTelemetry agent) against no profiler, with more
 * figures per arm; {@code --arms a,b} picks arms ({@code all} by default), {@code --write-doc FILE} also writes the
 * run's table into FILE's generated section ({@link PeersSection}). {@code --attach-runs N} adds the attach pause
 * rows ({@link AttachPauseExperiment}).
 *
 * <p>Run from the repository root after {@code mvn -B -q package -DskipTests} (or name it with {@code --root}):
 * {@code java -cp benchmarks/target/classes io.mltrace.benchmarks.overhead.OverheadHarness [--method lockstep]
 * [--jobs djl,dl4j] [--modes aa,off,default,full,jfr] [--pairs 5] [--warmup 1000] [--steps 3000]
 * [--jvm-args "-Xms1g -Xmx1g"] [--pin-cpu 1] [--attach-runs 0]}. Jobs ({@link Job}): {@code djl} (MLP),
 * {@code djl-cnn}, {@code djl-lstm}, {@code dl4j} (MLP), {@code dl4j-cnn}, or {@code all}. Comparisons
 * ({@code --modes}) are listed by {@link Comparisons}; {@code --agent-b PATH} names the other build for
 * {@code default-vs-b}, {@code --sample-every} the {@code default} comparisons' sampling (100); {@code with:OPTIONS}
 * runs {@code default} with more agent options ({@code +} between them) against no agent, to price one part.
 * {@code --steps} counts measured turns per side in lockstep (after {@code --warmup} turns) and all steps of a run
 * in sequential (default 600; its warm-up is the job's 100). {@code --pin-cpu N} runs both training threads on
 * CPU N ({@link LockstepPair}); {@code --pin-others M} starts both jobs on CPU M, so that every other thread (JIT,
 * GC, JFR, the agent's) runs there and the training threads have CPU N to themselves.
 */
public final class OverheadHarness {
  private OverheadHarness() {}

  public static void main(String[] args) throws Exception {
    HarnessOptions options = HarnessOptions.parse(args);
    Launcher launcher = new Launcher(options);
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String afterAttach = options.method() == HarnessOptions.Method.ATTACH_DID
        ? " (after attaching: " + options.warmupAfter() + ")" : "";
    String description = String.format(Locale.ROOT, "%s; JDK %s; %d CPUs; JVM flags %s; warm-up %d%s, measured %d;"
        + " steps per turn %d; other threads pinned to CPU %s; training threads pinned to CPU %s",
        options.method().cliName, System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
        options.jvmArgs(), options.warmup(), afterAttach, options.steps(), options.turnSteps(),
        options.pinOthers() < 0 ? "none" : String.valueOf(options.pinOthers()),
        options.pinCpu() < 0 ? "none" : String.valueOf(options.pinCpu()));
    System.out.println(description);
    Comparisons catalogue = new Comparisons(launcher.agent(), options.agentB(), options.sampleEvery(),
        launcher.work);
    if (options.pairs() > 0) {
      Experiment experiment = switch (options.method()) {
        case LOCKSTEP -> new LockstepExperiment(launcher, catalogue, options);
        case SEQUENTIAL -> new SequentialExperiment(launcher, catalogue, options);
        case ATTACH_DID -> new AttachDidExperiment(launcher, options);
        case PEERS -> new PeerExperiment(launcher, options, options.root().resolve("benchmarks/target/peers"));
      };
      MarkdownTable table = experiment.table();
      for (Job job : options.jobs()) {
        experiment.rows(job, table);
      }
      if (options.method() == HarnessOptions.Method.PEERS && options.writeDoc() != null) {
        String run = String.format(Locale.ROOT, "Run of %s to %s UTC: %s. Load average (1, 5, 15 min; "
            + "running/all tasks) before: `%s`, after: `%s`. Command: `java -cp benchmarks/target/classes "
            + "io.mltrace.benchmarks.overhead.OverheadHarness %s`.", started,
            Instant.now().truncatedTo(ChronoUnit.SECONDS), description, loadBefore,
            Files.readString(Path.of("/proc/loadavg")).trim(), String.join(" ", args));
        PeersSection.write(options.writeDoc(), run + "\n\n" + table);
      }
    }
    if (options.attachRuns() > 0) {
      new AttachPauseExperiment(launcher).rows(options.attachRuns());
    }
  }
}
