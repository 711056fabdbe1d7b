package io.mltrace.benchmarks.overhead;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the agent's cost on the step-time jobs ({@link StepTimeJob} for DJL, {@link Dl4jStepTimeJob} for DL4J):
 * per comparison, the ratio of step times with the agent to those without; then, optionally, the attach cost on
 * running DJL jobs (the pause the agent reports, the longest {@code RedefineClasses} safepoint the JVM logs, and the
 * command's wall time). Prints Markdown rows on stdout and each pair's details on stderr.
 *
 * <p>Three methods. {@code lockstep} (the default) runs the two JVMs of a pair at once, taking turns step by step
 * ({@link LockstepPair}); a pair's figure is the median over the measured steps of the per-step ratio. It cancels
 * the machine's drift but not the difference between two JVMs (±3 % per DJL pair on a quiet VM), so it needs many
 * pairs; {@code sequential}, the earlier method (one JVM after the other, the ratio of their median step times; the
 * order alternates from pair to pair), spread by ±25 %. {@code attach-did} measures each lockstep pair before and
 * after attaching the agent to side A ({@link #attachDidRows}); {@code --warmup-after} sets the warm-up after the
 * attach, {@code --sample-every} the {@code default} comparisons' sampling (100).
 *
 * <p>Run from the repository root after {@code mvn -B -q package -DskipTests}:
 * {@code java -cp benchmarks/target/classes io.mltrace.benchmarks.overhead.OverheadHarness [--method lockstep]
 * [--jobs djl,dl4j] [--modes aa,off,default,full,jfr] [--pairs 5] [--warmup 1000] [--steps 3000]
 * [--jvm-args "-Xms1g -Xmx1g"] [--pin-cpu 1] [--attach-runs 0]}. Comparisons ({@code --modes}): {@code aa} is the
 * A/A control (no agent on either side: the method's noise floor); {@code off}, {@code default}, {@code full} are
 * that mode against no agent, as is {@code off-nojfr} ({@code mode=off,jvm_events=off}); {@code jfr} is
 * {@code mode=off} against {@code mode=off,jvm_events=off} (the cost of the JFR streaming that every mode starts);
 * {@code default-vs-b} is {@code default} with this build against {@code default} with {@code --agent-b PATH};
 * {@code vs:PATH} the same against the jar at PATH, so that one batch can hold several other builds (one
 * comparison each), their pairs interleaved as every comparison's are.
 * {@code --steps} counts measured turns per side in lockstep (after {@code --warmup} turns) and all steps of a run
 * in sequential (default 600; its warm-up is the job's 100). {@code --pin-cpu N} runs both training threads on
 * CPU N ({@link LockstepPair}); {@code --pin-others M} starts both jobs on CPU M, so that every other thread (JIT,
 * GC, JFR, the agent's) runs there and the training threads have CPU N to themselves.
 */
public final class OverheadHarness {
  private static final Pattern STEP_NS = Pattern.compile("step_ns median=(\\d+)");
  private static final Pattern PAUSE = Pattern.compile("longest pause ([0-9.]+) ms");
  private static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"RedefineClasses\".*Total: (\\d+) ns");

  private final Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
  private final Path agent = Paths.get("agent/target/mltrace-agent.jar").toAbsolutePath();
  private final String classpath;
  private final Path work;
  private final List<String> jvmArgs;
  private final int pinCpu;
  private int turnSteps = 1;
  /** CPU for every thread of both jobs but the training thread (-1: no affinity), see {@code --pin-others}. */
  private int pinOthers = -1;
  /** Side B's options {@code @agent-b:PATH|options} load the jar at PATH instead of this build's agent jar. */
  private static final String AGENT_B = "@agent-b:";
  /** Another build of the agent jar, for {@code default-vs-b} ({@code --agent-b PATH}). */
  private Path agentB;
  /** {@code sample_every} of the {@code default} comparisons ({@code --sample-every}, default 100). */
  private int sampleEvery = 100;

  private OverheadHarness(List<String> jvmArgs, int pinCpu) throws IOException {
    String examples = Files.readString(Paths.get("examples/target/classpath.txt")).trim();
    classpath = Paths.get("benchmarks/target/classes").toAbsolutePath() + File.pathSeparator + examples;
    work = Files.createTempDirectory("mltrace-overhead");
    this.jvmArgs = jvmArgs;
    this.pinCpu = pinCpu;
  }

  public static void main(String[] args) throws Exception {
    String method = Args.stringArg(args, "--method", "lockstep");
    boolean did = method.equals("attach-did");
    boolean lockstep = method.equals("lockstep") || did;
    if (!lockstep && !method.equals("sequential")) {
      throw new IllegalArgumentException("--method must be lockstep, attach-did or sequential");
    }
    int pairs = Args.intArg(args, "--pairs", 5);
    int steps = Args.intArg(args, "--steps", lockstep ? 3000 : 600);
    int warmup = Args.intArg(args, "--warmup", 1000);
    int attachRuns = Args.intArg(args, "--attach-runs", 0);
    int warmupAfter = Args.intArg(args, "--warmup-after", warmup);
    String modes = Args.stringArg(args, "--modes", "aa,off,default,full");
    String jobs = Args.stringArg(args, "--jobs", "djl");
    String extraJvmArgs = Args.stringArg(args, "--jvm-args", "").trim();
    int pinCpu = Args.intArg(args, "--pin-cpu", -1);
    OverheadHarness h = new OverheadHarness(
        extraJvmArgs.isEmpty() ? List.of() : List.of(extraJvmArgs.split("\\s+")), pinCpu);
    h.turnSteps = Args.intArg(args, "--turn-steps", 1);
    h.pinOthers = Args.intArg(args, "--pin-others", -1);
    h.sampleEvery = Args.intArg(args, "--sample-every", 100);
    String agentB = Args.stringArg(args, "--agent-b", "");
    h.agentB = agentB.isEmpty() ? null : Paths.get(agentB).toAbsolutePath();
    String afterAttach = did ? " (after attaching: " + warmupAfter + ")" : "";
    String others = h.pinOthers < 0 ? "none" : String.valueOf(h.pinOthers);
    System.out.printf(Locale.ROOT, "%s; JDK %s; %d CPUs; JVM flags %s; warm-up %d%s, measured %d; steps per turn %d;"
        + " other threads pinned to CPU %s; training threads pinned to CPU %s%n", method,
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), h.jvmArgs, warmup, afterAttach,
        steps, h.turnSteps, others, pinCpu < 0 ? "none" : String.valueOf(pinCpu));
    if (pairs > 0) {
      if (did) {
        System.out.println("| job | attached to side A | pairs | median of after/before | min | max | per pair "
            + "(after/before) | ratio A/B before attaching, per pair | CPU-time ratio after, median (min–max) "
            + "| load avg (1 min) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
      } else if (lockstep) {
        System.out.println("| job | comparison | side A | side B | pairs | median ratio A/B | min | max | per pair "
            + "(median of per-step ratios) | CPU-time ratio, median (min–max) | load avg (1 min) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
      } else {
        System.out.println("| job | comparison | side A | side B | pairs | median ratio A/B | min | max | per pair |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
      }
      for (String job : jobs.split(",")) {
        if (did) {
          h.attachDidRows(job, List.of(modes.split(",")), pairs, warmup, warmupAfter, steps);
        } else if (lockstep) {
          h.lockstepRows(job, List.of(modes.split(",")), pairs, warmup, steps);
        } else {
          for (String mode : modes.split(",")) {
            h.sequentialRow(job, mode, pairs, steps);
          }
        }
      }
    }
    if (attachRuns > 0) {
      h.attachRows(attachRuns);
    }
  }

  /** Side A's and side B's agent options ({@code null}: no agent) for a comparison named on the command line. */
  private String[] sides(String job, String mode, int pair) {
    String common = ",console=off,report_interval=0,output="
        + work.resolve(job + "-" + fileName(mode) + "-" + pair);
    switch (mode) {
      case "aa":
        return new String[] {null, null};
      case "off":
      case "full":
        return new String[] {"mode=" + mode + common, null};
      case "default":
        return new String[] {"mode=default" + common + ",sample_every=" + sampleEvery, null};
      case "off-nojfr":
        return new String[] {"mode=off,jvm_events=off" + common, null};
      case "jfr":
        return new String[] {"mode=off" + common + "-a", "mode=off,jvm_events=off" + common + "-b"};
      case "default-vs-b":
        if (agentB == null) {
          throw new IllegalArgumentException("default-vs-b needs --agent-b PATH (another build of the agent jar)");
        }
        return versus(agentB, common);
      default:
        if (mode.startsWith("vs:")) {
          Path other = Paths.get(mode.substring(3)).toAbsolutePath();
          if (!Files.isRegularFile(other)) {
            throw new IllegalArgumentException("vs:PATH needs an agent jar at PATH: " + other);
          }
          return versus(other, common);
        }
        throw new IllegalArgumentException(
            "unknown comparison '" + mode + "' (aa, off, off-nojfr, default, full, jfr, default-vs-b, vs:PATH)");
    }
  }

  /**
   * Pair {@code i} of every comparison runs before pair {@code i + 1} of any, so a change in the machine's load over
   * the batch (a build starting next door) falls on all comparisons alike, the A/A control included.
   */
  private void lockstepRows(String job, List<String> modes, int pairs, int warmup, int steps) throws Exception {
    Map<String, List<LockstepPair.Result>> results = new LinkedHashMap<>();
    Map<String, List<Double>> loads = new LinkedHashMap<>();
    for (String mode : modes) {
      sides(job, mode, 0); // rejects an unknown comparison before the first pair runs
      results.put(mode, new ArrayList<>());
      loads.put(mode, new ArrayList<>());
    }
    for (int i = 1; i <= pairs; i++) {
      for (String mode : modes) {
        String[] options = sides(job, mode, i);
        double load = loadAverage();
        Path errA = work.resolve(job + "-" + fileName(mode) + "-" + i + "-a.err");
        Path errB = work.resolve(job + "-" + fileName(mode) + "-" + i + "-b.err");
        LockstepPair.Result r = LockstepPair.run(command(job, options[0], true), command(job, options[1], true),
            warmup, steps, pinCpu, errA, errB);
        results.get(mode).add(r);
        loads.get(mode).add(load);
        System.err.printf(Locale.ROOT, "%s %s pair %d (load %.2f): median step A %.3f ms, B %.3f ms; per-step "
            + "ratio median %.4f (halves %.4f, %.4f); total ratio %.4f; CPU A %.2f s, B %.2f s, ratio %.4f%n", job,
            mode, i, load, r.a.medianStepNs() / 1e6, r.b.medianStepNs() / 1e6, r.medianStepRatio(),
            r.medianStepRatio(0, steps / 2), r.medianStepRatio(steps / 2, steps), r.totalRatio(),
            r.a.cpuNs / 1e9, r.b.cpuNs / 1e9, r.cpuRatio());
        printThreads("A", r.a);
        printThreads("B", r.b);
        for (String line : r.a.agentLines) {
          System.err.println("  A: " + line);
        }
        for (String line : r.b.agentLines) {
          System.err.println("  B: " + line);
        }
      }
    }
    for (String mode : modes) {
      List<Double> ratios = new ArrayList<>();
      List<Double> cpuRatios = new ArrayList<>();
      for (LockstepPair.Result r : results.get(mode)) {
        ratios.add(r.medianStepRatio());
        cpuRatios.add(r.cpuRatio());
      }
      List<Double> sorted = sorted(ratios);
      List<Double> cpuSorted = sorted(cpuRatios);
      List<Double> load = sorted(loads.get(mode));
      String[] shown = sides(job, mode, 0);
      System.out.printf(Locale.ROOT,
          "| %s | %s | %s | %s | %d | %.4fx | %.4f | %.4f | %s | %.3f (%.3f–%.3f) | %.2f–%.2f |%n", job, mode,
          shownOptions(shown[0]), shownOptions(shown[1]), pairs, median(sorted), sorted.get(0),
          sorted.get(sorted.size() - 1), joined(ratios, "%.4f"), median(cpuSorted), cpuSorted.get(0),
          cpuSorted.get(cpuSorted.size() - 1), load.get(0), load.get(load.size() - 1));
    }
    System.out.flush();
  }

  /** What {@code attach-did} attaches to side A for a comparison; {@code null} for the control ({@code aa}). */
  private String attachOptions(String job, String mode, int pair) {
    String common = ",console=off,report_interval=0,output=" + work.resolve(job + "-did-" + mode + "-" + pair);
    switch (mode) {
      case "aa":
        return null;
      case "off":
      case "full":
        return "mode=" + mode + common;
      case "off>off":
        return "mode=off" + common;
      case "default":
      case "off>default":
        return "mode=default" + common + ",sample_every=" + sampleEvery;
      default:
        throw new IllegalArgumentException(
            "unknown comparison '" + mode + "' for attach-did (aa, off, default, full, off>default, off>off)");
    }
  }

  /**
   * Side A's agent options at launch for {@code attach-did}: {@code off>default} starts A with the agent in mode
   * {@code off} and then reconfigures it to {@code default}, which measures what {@code default} adds to {@code off}
   * within one JVM and with the classes instrumented at load; the others start A without the agent.
   */
  private String launchOptions(String job, String mode, int pair) {
    return mode.startsWith("off>")
        ? "mode=off,console=off,report_interval=0,output=" + work.resolve(job + "-did-" + mode + "-" + pair) : null;
  }

  /**
   * The difference-in-differences method: both sides start without the agent (side A with it in mode {@code off}
   * for the {@code off>...} comparisons, {@link #launchOptions}) and take {@code warmup + steps} turns in lockstep
   * (ratio "before"); then the agent is attached to side A in the comparison's mode (nothing is attached for
   * {@code aa}; {@code off>...} reconfigures the agent already there) while both wait, and both take
   * {@code warmupAfter + steps} turns more (ratio "after"). A pair's figure is after over before: the two JVMs' own
   * difference, which a plain lockstep pair carries into its ratio (±3 % per DJL pair on a quiet machine), cancels
   * as long as it holds over the pair's life; the A/A row says how well it holds. The agent runs attached, with its
   * classes retransformed, and the second warm-up lets the JIT settle again before the steps that count:
   * retransformation throws away the compiled code of the advised methods, and a method that runs once per step
   * reaches C2 only after some 10,000 steps.
   */
  private void attachDidRows(String job, List<String> modes, int pairs, int warmup, int warmupAfter, int steps)
      throws Exception {
    Map<String, List<LockstepPair.Result[]>> results = new LinkedHashMap<>();
    Map<String, List<Double>> loads = new LinkedHashMap<>();
    for (String mode : modes) {
      attachOptions(job, mode, 0);
      results.put(mode, new ArrayList<>());
      loads.put(mode, new ArrayList<>());
    }
    for (int i = 1; i <= pairs; i++) {
      for (String mode : modes) {
        String options = attachOptions(job, mode, i);
        double load = loadAverage();
        Path errA = work.resolve(job + "-did-" + mode + "-" + i + "-a.err");
        Path errB = work.resolve(job + "-did-" + mode + "-" + i + "-b.err");
        LockstepPair.Intervention attach = options == null ? pid -> { } : pid -> {
          List<String> cmd = new ArrayList<>(List.of(java.toString(), "-jar", agent.toString(), "attach",
              String.valueOf(pid)));
          cmd.addAll(List.of(options.split(",")));
          String said = runToEnd(cmd);
          if (!said.contains("attached") && !said.contains("already loaded")) {
            throw new IllegalStateException("attach failed: " + said);
          }
          System.err.println("  attach: " + said.trim().replace('\n', ' '));
        };
        LockstepPair.Result[] r = LockstepPair.runAround(command(job, launchOptions(job, mode, i), true),
            command(job, null, true),
            warmup, steps, pinCpu, errA, errB, attach, warmupAfter);
        results.get(mode).add(r);
        loads.get(mode).add(load);
        System.err.printf(Locale.ROOT, "%s did %s pair %d (load %.2f): before %.4f (halves %.4f, %.4f), after %.4f "
            + "(halves %.4f, %.4f), after/before %.4f; median step A before %.3f ms, after %.3f ms, B %.3f ms, "
            + "%.3f ms; CPU ratio before %.4f, after %.4f%n", job, mode, i, load, r[0].medianStepRatio(),
            r[0].medianStepRatio(0, steps / 2), r[0].medianStepRatio(steps / 2, steps), r[1].medianStepRatio(),
            r[1].medianStepRatio(0, steps / 2), r[1].medianStepRatio(steps / 2, steps),
            r[1].medianStepRatio() / r[0].medianStepRatio(), r[0].a.medianStepNs() / 1e6,
            r[1].a.medianStepNs() / 1e6, r[0].b.medianStepNs() / 1e6, r[1].b.medianStepNs() / 1e6,
            r[0].cpuRatio(), r[1].cpuRatio());
        printThreads("A after", r[1].a);
        printThreads("B after", r[1].b);
        for (String line : r[1].a.agentLines) {
          System.err.println("  A: " + line);
        }
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
      List<Double> sorted = sorted(did);
      List<Double> cpuSorted = sorted(cpu);
      List<Double> load = sorted(loads.get(mode));
      String options = attachOptions(job, mode, 0);
      String launched = launchOptions(job, mode, 0);
      String shown = options == null ? "nothing (A/A control)"
          : launched == null ? shownOptions(options)
          : "launched with " + shownOptions(launched) + ", then reconfigured to " + shownOptions(options);
      System.out.printf(Locale.ROOT,
          "| %s | %s | %d | %.4fx | %.4f | %.4f | %s | %s | %.3f (%.3f–%.3f) | %.2f–%.2f |%n", job, shown, pairs,
          median(sorted), sorted.get(0), sorted.get(sorted.size() - 1), joined(did, "%.4f"), joined(before, "%.4f"),
          median(cpuSorted), cpuSorted.get(0), cpuSorted.get(cpuSorted.size() - 1), load.get(0),
          load.get(load.size() - 1));
    }
    System.out.flush();
  }

  /** The threads of one side that took at least 50 ms of CPU over the measured steps. */
  private static void printThreads(String side, LockstepPair.Side s) {
    StringBuilder line = new StringBuilder();
    s.threadCpuNs.entrySet().stream()
        .filter(e -> e.getValue() >= 50_000_000L)
        .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
        .forEach(e -> line.append(String.format(Locale.ROOT, " %s %.2f s;", e.getKey(), e.getValue() / 1e9)));
    System.err.println("  " + side + " threads:" + line);
  }

  private void sequentialRow(String job, String mode, int pairs, int steps) throws Exception {
    List<Double> ratios = new ArrayList<>();
    String[] shown = null;
    for (int i = 0; i < pairs; i++) {
      String[] options = sides(job, mode, i + 1);
      shown = options;
      long a;
      long b;
      if (i % 2 == 0) {
        b = stepNs(job, options[1], steps);
        a = stepNs(job, options[0], steps);
      } else {
        a = stepNs(job, options[0], steps);
        b = stepNs(job, options[1], steps);
      }
      ratios.add((double) a / b);
      System.err.printf(Locale.ROOT, "%s %s pair %d (load %.2f): A %d ns, B %d ns%n", job, mode, i + 1,
          loadAverage(), a, b);
    }
    List<Double> sorted = sorted(ratios);
    System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %d | %.3fx | %.3f | %.3f | %s |%n", job, mode,
        shownOptions(shown[0]), shownOptions(shown[1]), pairs, median(sorted), sorted.get(0),
        sorted.get(sorted.size() - 1), joined(ratios, "%.3f"));
  }

  /** {@code default} with this build's agent on side A, {@code default} with the agent jar {@code other} on B. */
  private String[] versus(Path other, String common) {
    String b = "mode=default" + common + "-b,sample_every=" + sampleEvery;
    return new String[] {"mode=default" + common + "-a,sample_every=" + sampleEvery, AGENT_B + other + "|" + b};
  }

  /** The jar and the agent options of side options written {@code @agent-b:PATH|options}. */
  private static String[] otherAgent(String options) {
    int bar = options.indexOf('|');
    return new String[] {options.substring(AGENT_B.length(), bar), options.substring(bar + 1)};
  }

  /** A comparison's name as part of a file name ({@code vs:PATH} holds slashes). */
  private static String fileName(String mode) {
    return mode.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private String shownOptions(String options) {
    if (options == null) {
      return "no agent";
    }
    if (!options.startsWith(AGENT_B)) {
      return "`" + options.replaceAll("output=[^,]*", "output=<tmp>") + "`";
    }
    String[] other = otherAgent(options);
    return "`" + other[1].replaceAll("output=[^,]*", "output=<tmp>") + "` (agent " + Paths.get(other[0]).getFileName()
        + ")";
  }

  /** The command line of one run of {@code job}, with the agent when {@code agentOptions} is not null. */
  private List<String> command(String job, String agentOptions, boolean lockstep) {
    List<String> cmd = new ArrayList<>();
    if (lockstep && pinOthers >= 0) {
      // Every thread starts on that CPU and threads inherit their creator's affinity; LockstepPair then moves the
      // training thread to --pin-cpu. The training thread has a CPU to itself, as on a machine with cores to spare.
      cmd.addAll(List.of("taskset", "-c", String.valueOf(pinOthers)));
    }
    cmd.add(java.toString());
    cmd.addAll(jvmArgs);
    if (agentOptions != null && agentOptions.startsWith(AGENT_B)) {
      String[] other = otherAgent(agentOptions);
      cmd.add("-javaagent:" + other[0] + "=" + other[1]);
    } else if (agentOptions != null) {
      cmd.add("-javaagent:" + agent + "=" + agentOptions);
    }
    cmd.addAll(List.of("-cp", classpath, jobClass(job).getName()));
    if (lockstep) {
      // The data set is cycled: a fixed size keeps two JVMs' memory small however many turns are taken.
      cmd.addAll(List.of("--lockstep", "true", "--data-batches", "500", "--turn-steps", String.valueOf(turnSteps)));
    }
    return cmd;
  }

  private static Class<?> jobClass(String job) {
    switch (job) {
      case "djl":
        return StepTimeJob.class;
      case "dl4j":
        return Dl4jStepTimeJob.class;
      default:
        throw new IllegalArgumentException("unknown job '" + job + "' (djl, dl4j)");
    }
  }

  /** One sequential run of the job; its median step time in ns. */
  private long stepNs(String job, String agentOptions, int steps) throws Exception {
    List<String> cmd = command(job, agentOptions, false);
    cmd.addAll(List.of("--steps", String.valueOf(steps)));
    String out = runToEnd(cmd);
    Matcher m = STEP_NS.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no step_ns line from " + cmd + ":\n" + out);
    }
    return Long.parseLong(m.group(1));
  }

  private static double loadAverage() throws IOException {
    return Double.parseDouble(Files.readString(Paths.get("/proc/loadavg")).split(" ")[0]);
  }

  private void attachRows(int runs) throws Exception {
    System.out.println();
    System.out.println("| attach run | classes retransformed | pause reported by the agent | longest RedefineClasses"
        + " safepoint (JVM log) | attach command wall time |");
    System.out.println("|---|---|---|---|---|");
    for (int i = 1; i <= runs; i++) {
      Path log = work.resolve("safepoints-" + i + ".log");
      Path out = work.resolve("attach-job-" + i + ".txt");
      List<String> cmd = List.of(java.toString(), "-Xlog:safepoint:file=" + log, "-cp", classpath,
          StepTimeJob.class.getName(), "--steps", "3000");
      Process job = start(cmd, out);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.readString(out).contains("training")) {
        if (!job.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the job did not start training:\n" + Files.readString(out));
        }
        Thread.sleep(100);
      }
      Thread.sleep(500);
      long t0 = System.nanoTime();
      String attached = runToEnd(List.of(java.toString(), "-jar", agent.toString(), "attach",
          String.valueOf(job.pid())));
      double wallMs = (System.nanoTime() - t0) / 1e6;
      job.waitFor(5, TimeUnit.MINUTES);
      Matcher pause = PAUSE.matcher(attached);
      Matcher classes = Pattern.compile("retransformed (\\d+) classes").matcher(attached);
      long longest = 0;
      Matcher sp = SAFEPOINT.matcher(Files.readString(log));
      while (sp.find()) {
        longest = Math.max(longest, Long.parseLong(sp.group(1)));
      }
      System.out.printf(Locale.ROOT, "| %d | %s | %s ms | %.2f ms | %.0f ms |%n", i,
          classes.find() ? classes.group(1) : "?", pause.find() ? pause.group(1) : "? (" + attached.trim() + ")",
          longest / 1e6, wallMs);
    }
  }

  private Process start(List<String> cmd, Path out) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    return pb.start();
  }

  private String runToEnd(List<String> cmd) throws Exception {
    Path out = Files.createTempFile(work, "run", ".txt");
    Process p = start(cmd, out);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + cmd);
    }
    return Files.readString(out);
  }

  private static List<Double> sorted(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted;
  }

  private static String joined(List<Double> values, String format) {
    StringBuilder each = new StringBuilder();
    for (double v : values) {
      each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, format, v));
    }
    return each.toString();
  }

  private static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
