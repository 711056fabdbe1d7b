package io.mltrace.benchmarks.overhead;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the agent's cost on {@link StepTimeJob}: per mode, the ratio of the median step time with the agent to
 * that without, over interleaved pairs of runs (the order alternates within pairs, so drift in the machine's load
 * hits both sides); then the attach cost on running jobs (the pause the agent reports, the longest
 * {@code RedefineClasses} safepoint the JVM logs, and the command's wall time). Prints Markdown rows.
 *
 * <p>Run from the repository root after {@code mvn -B -q package -DskipTests}:
 * {@code java -cp benchmarks/target/classes io.mltrace.benchmarks.overhead.OverheadHarness [--pairs 5]
 * [--steps 600] [--modes off,default,full] [--attach-runs 5]}.
 */
public final class OverheadHarness {
  private static final Pattern STEP_NS = Pattern.compile("step_ns median=(\\d+)");
  private static final Pattern PAUSE = Pattern.compile("longest pause ([0-9.]+) ms");
  private static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"RedefineClasses\".*Total: (\\d+) ns");

  private final Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
  private final Path agent = Paths.get("agent/target/mltrace-agent.jar").toAbsolutePath();
  private final String classpath;
  private final Path work;

  private OverheadHarness() throws IOException {
    String examples = Files.readString(Paths.get("examples/target/classpath.txt")).trim();
    classpath = Paths.get("benchmarks/target/classes").toAbsolutePath() + File.pathSeparator + examples;
    work = Files.createTempDirectory("mltrace-overhead");
  }

  public static void main(String[] args) throws Exception {
    int pairs = intArg(args, "--pairs", 5);
    int steps = intArg(args, "--steps", 600);
    int attachRuns = intArg(args, "--attach-runs", 5);
    String modes = stringArg(args, "--modes", "off,default,full");
    OverheadHarness h = new OverheadHarness();
    if (pairs > 0) {
      System.out.println("| mode | agent options | pairs | median ratio | min | max | per pair |");
      System.out.println("|---|---|---|---|---|---|---|");
      for (String mode : modes.split(",")) {
        h.modeRow(mode, pairs, steps);
      }
    }
    if (attachRuns > 0) {
      h.attachRows(attachRuns);
    }
  }

  private void modeRow(String mode, int pairs, int steps) throws Exception {
    String options = "mode=" + mode + ",console=off,report_interval=0,output=" + work.resolve(mode)
        + (mode.equals("default") ? ",sample_every=100" : "");
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      long with;
      long without;
      if (i % 2 == 0) {
        without = stepNs(null, steps);
        with = stepNs(options, steps);
      } else {
        with = stepNs(options, steps);
        without = stepNs(null, steps);
      }
      ratios.add((double) with / without);
      System.err.printf(Locale.ROOT, "%s pair %d: with %d ns, without %d ns%n", mode, i + 1, with, without);
    }
    List<Double> sorted = new ArrayList<>(ratios);
    Collections.sort(sorted);
    StringBuilder each = new StringBuilder();
    for (double r : ratios) {
      each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", r));
    }
    System.out.printf(Locale.ROOT, "| %s | `%s` | %d | %.3fx | %.3f | %.3f | %s |%n", mode,
        options.replace(work.toString(), "<tmp>"), pairs, median(sorted), sorted.get(0),
        sorted.get(sorted.size() - 1), each);
  }

  /** One run of the job; its median step time in ns (with the agent when {@code agentOptions} is not null). */
  private long stepNs(String agentOptions, int steps) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    if (agentOptions != null) {
      cmd.add("-javaagent:" + agent + "=" + agentOptions);
    }
    cmd.addAll(List.of("-cp", classpath, StepTimeJob.class.getName(), "--steps", String.valueOf(steps)));
    String out = runToEnd(cmd);
    Matcher m = STEP_NS.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no step_ns line from " + cmd + ":\n" + out);
    }
    return Long.parseLong(m.group(1));
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

  private static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static int intArg(String[] args, String name, int fallback) {
    String v = stringArg(args, name, null);
    return v == null ? fallback : Integer.parseInt(v);
  }

  private static String stringArg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
