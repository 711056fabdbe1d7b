package io.mltrace.benchmarks.overhead;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Two step-time jobs started together and made to take turns, one step at a time ({@link StepGate}'s protocol):
 * A, B, then B, A, then A, B… so each side runs as often first as second in its pair of turns, and only one
 * training thread runs at any moment. Whatever the machine does over seconds (other tenants, frequency, a build
 * next door) then hits both sides of a step within milliseconds, and the ratio of step {@code i} of A to step
 * {@code i} of B cancels it. What it does not cancel: a difference between the two JVMs themselves (JIT decisions,
 * heap layout), which only more pairs reveal, and background threads (JIT, GC, the agent's collector) of one side
 * that run during the other side's step; the processes' CPU time over the measured steps covers the latter.
 */
final class LockstepPair {
  private static final long TURN_TIMEOUT_MINUTES = 5;
  /** The training thread's name in {@code /proc} ({@code comm}): the jobs train on the launcher's main thread. */
  static final String TRAINING_THREAD = "java";
  /** Linux's USER_HZ, the unit of {@code /proc/<pid>/task/<tid>/stat}'s CPU times, is 100 on every common build. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  /**
   * One side's measured steps (after the warm-up), its CPU time over them, in all and per thread name, and its
   * {@code mltrace:} lines.
   */
  static final class Side {
    final long[] stepNs;
    final long cpuNs;
    final Map<String, Long> threadCpuNs;
    final Set<String> agentLines;
    /** The process's figures over its whole life, known once it has stopped ({@code null} before). */
    final Vitals vitals;

    Side(long[] stepNs, long cpuNs, Map<String, Long> threadCpuNs, Set<String> agentLines, Vitals vitals) {
      this.stepNs = stepNs;
      this.cpuNs = cpuNs;
      this.threadCpuNs = threadCpuNs;
      this.agentLines = agentLines;
      this.vitals = vitals;
    }

    double medianStepNs() {
      long[] sorted = stepNs.clone();
      Arrays.sort(sorted);
      return sorted[sorted.length / 2];
    }
  }

  /**
   * One side's process over its whole life, for the peers table.
   *
   * @param readyMs from the process's start to the end of the job's setup (the job's own count, agent start-up
   *     included)
   * @param firstStepNs the first step's time (the first turn's, warm-up included)
   * @param totalCpuNs the process's CPU time from its start to its last step (its exit not included)
   * @param peakRssBytes the process's peak resident memory ({@code VmHWM}) before it was told to stop
   * @param heapUsedBytes the Java heap in use after a full GC once the job's loop ended
   * @param reportedOutputBytes bytes the job itself wrote for a profiler it drives (0 for the others)
   */
  record Vitals(long readyMs, long firstStepNs, long totalCpuNs, long peakRssBytes, long heapUsedBytes,
      long reportedOutputBytes) {
    /** From the process's start to the end of its first step. */
    double timeToFirstStepSeconds() {
      return readyMs / 1e3 + firstStepNs / 1e9;
    }
  }

  /** Both sides of one pair. */
  static final class Result {
    final Side a;
    final Side b;

    Result(Side a, Side b) {
      this.a = a;
      this.b = b;
    }

    Result withEnd(Set<String> linesA, Vitals vitalsA, Set<String> linesB, Vitals vitalsB) {
      return new Result(new Side(a.stepNs, a.cpuNs, a.threadCpuNs, linesA, vitalsA),
          new Side(b.stepNs, b.cpuNs, b.threadCpuNs, linesB, vitalsB));
    }

    /** The median over the measured steps of A's step time over B's same-numbered step: the pair's figure. */
    double medianStepRatio() {
      return medianStepRatio(0, a.stepNs.length);
    }

    /**
     * The same over measured steps {@code from} (inclusive) to {@code to}: halves of a pair that agree while
     * pairs disagree point at a difference between the JVMs rather than at the machine's noise.
     */
    double medianStepRatio(int from, int to) {
      double[] r = new double[to - from];
      for (int i = 0; i < r.length; i++) {
        r[i] = (double) a.stepNs[from + i] / b.stepNs[from + i];
      }
      Arrays.sort(r);
      return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    }

    /** Total step time of A over that of B (outliers such as GC pauses included). */
    double totalRatio() {
      return (double) Arrays.stream(a.stepNs).sum() / Arrays.stream(b.stepNs).sum();
    }

    /** CPU time of process A over that of B, all threads, over the measured steps. */
    double cpuRatio() {
      return (double) a.cpuNs / b.cpuNs;
    }

    /**
     * CPU time of A's training thread over B's, over the measured steps (NaN when either is unknown): what the agent
     * adds on the thread that trains, hooks and the class loading they bring included. Background threads and the
     * machine's other load move it less than step time: five batches of DJL's first 3000 steps read 1.034-1.062
     * (four of them 1.061-1.062) where the step-time ratio read 1.024-1.058.
     */
    double trainingCpuRatio() {
      Long cpuA = a.threadCpuNs.get(TRAINING_THREAD);
      Long cpuB = b.threadCpuNs.get(TRAINING_THREAD);
      return cpuA == null || cpuB == null || cpuB == 0 ? Double.NaN : (double) cpuA / cpuB;
    }
  }

  private static final class Job {
    final Process process;
    final BufferedReader out;
    final Writer in;
    final Path err;
    final List<String> otherOutput = new ArrayList<>();
    private long readyMs = -1;
    private long firstStepNs = -1;
    private long totalCpuNs;
    private long peakRssBytes;

    Job(List<String> cmd, Path err) throws IOException {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
      // One compute thread each, as in the sequential harness: two jobs on a 2-core machine must not oversubscribe.
      pb.environment().put("OMP_NUM_THREADS", "1");
      this.process = pb.start();
      this.err = err;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
    }

    /**
     * Pins the job's Java threads named {@code java} (the launcher's and the one running {@code main}, which trains)
     * to one CPU with {@code taskset}; its other threads (JIT, GC, the agent's) stay free.
     */
    void pinTrainingThread(int cpu) throws IOException, InterruptedException {
      Path tasks = Paths.get("/proc", String.valueOf(process.pid()), "task");
      try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
        for (Path task : threads) {
          if (Files.readString(task.resolve("comm")).trim().equals(TRAINING_THREAD)) {
            Process taskset = new ProcessBuilder("taskset", "-p", "-c", String.valueOf(cpu),
                task.getFileName().toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            if (taskset.waitFor() != 0) {
              throw new IllegalStateException("taskset failed for thread " + task.getFileName());
            }
          }
        }
      }
    }

    /** Reads stdout up to a line starting with {@code prefix}; the rest of that line. */
    String await(String prefix) throws IOException {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(prefix)) {
          return line.substring(prefix.length()).trim();
        }
        otherOutput.add(line);
      }
      throw new IllegalStateException("job ended before '" + prefix.trim() + "'; stdout: " + otherOutput
          + "; stderr:\n" + Files.readString(err));
    }

    /** Waits for the job's {@code ready <ms since its process started>}. */
    void awaitReady() throws IOException {
      String since = await("ready");
      readyMs = since.isEmpty() ? -1 : Long.parseLong(since);
    }

    long step() throws IOException {
      in.write("step\n");
      in.flush();
      long ns = Long.parseLong(await("done "));
      if (firstStepNs < 0) {
        firstStepNs = ns;
      }
      return ns;
    }

    /** The process's peak resident memory so far ({@code VmHWM}), 0 where there is no {@code /proc}. */
    long peakRssBytes() {
      try {
        for (String line : Files.readAllLines(Paths.get("/proc", String.valueOf(process.pid()), "status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException | RuntimeException noProc) {
        // Reported as 0: unknown.
      }
      return 0;
    }

    /** The figures of the process's whole life; call after {@link #stop}. */
    Vitals vitals() {
      return new Vitals(readyMs, firstStepNs, totalCpuNs, peakRssBytes, lastNumber("heap_used "),
          Math.max(0, lastNumber("output_bytes ")));
    }

    private long lastNumber(String prefix) {
      long value = -1;
      for (String line : otherOutput) {
        if (line.startsWith(prefix)) {
          value = Long.parseLong(line.substring(prefix.length()).trim());
        }
      }
      return value;
    }

    long cpuNs() {
      return process.info().totalCpuDuration().map(Duration::toNanos)
          .orElseThrow(() -> new IllegalStateException("no CPU time for process " + process.pid()));
    }

    /**
     * CPU time per thread name (threads of one name summed), from {@code /proc/<pid>/task}: which threads the
     * agent's extra CPU time goes to. Empty where there is no {@code /proc}. Clock ticks, so 10 ms resolution.
     */
    Map<String, Long> threadCpuNs() {
      Map<String, Long> byName = new TreeMap<>();
      Path tasks = Paths.get("/proc", String.valueOf(process.pid()), "task");
      try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
        for (Path task : threads) {
          try {
            String stat = Files.readString(task.resolve("stat"));
            // The name, in parentheses, may hold spaces: the fields after it are counted from its closing one.
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            byName.merge(name, ticks * NANOS_PER_TICK, Long::sum);
          } catch (IOException | RuntimeException threadEnded) {
            // A thread that ended between the listing and the read had no more CPU time to give.
          }
        }
      } catch (IOException noProc) {
        return Map.of();
      }
      return byName;
    }

    Set<String> agentLines() throws IOException {
      Set<String> lines = new LinkedHashSet<>();
      for (String line : Files.readAllLines(err)) {
        if (line.startsWith("mltrace")) {
          lines.add(line);
        }
      }
      return lines;
    }

    void stop() throws IOException, InterruptedException {
      if (process.isAlive()) {
        totalCpuNs = cpuNs();
        peakRssBytes = peakRssBytes();
      }
      try {
        in.write("stop\n");
        in.close();
      } catch (IOException alreadyGone) {
        // The job ended on its own; waitFor below reports nothing more.
      }
      // What the job prints after its loop (its summary, heap_used, output_bytes) until it closes its stdout.
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        otherOutput.add(line);
      }
      if (!process.waitFor(TURN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
      }
    }
  }

  private LockstepPair() {}

  private static Map<String, Long> since(Map<String, Long> now, Map<String, Long> before) {
    Map<String, Long> delta = new TreeMap<>();
    now.forEach((name, ns) -> delta.put(name, ns - before.getOrDefault(name, 0L)));
    return delta;
  }

  /**
   * Runs {@code commandA} and {@code commandB} (each with {@code --lockstep true}) in lockstep for
   * {@code warmup + measured} turns each; {@code errA}/{@code errB} receive their stderr. With {@code pinCpu} ≥ 0
   * both training threads run on that CPU: on a quiet VM each tends to stay on its own vCPU, and two vCPUs need
   * not be equally fast, which lockstep does not cancel.
   */
  static Result run(List<String> commandA, List<String> commandB, int warmup, int measured, int pinCpu, Path errA,
      Path errB) throws Exception {
    return runAround(commandA, commandB, warmup, measured, pinCpu, errA, errB, null, 0)[0];
  }

  /** Something done to side A's process between two turns, while both jobs wait for their next one. */
  interface Intervention {
    void apply(long pidA) throws Exception;
  }

  /**
   * Like {@link #run}, and then, when {@code between} is not null, applies it to side A (such as attaching the agent)
   * and runs {@code warmupAfter + measured} turns more: the difference-in-differences method. The ratio after
   * over the ratio before is then free of the difference between the two JVMs, which {@link #run} alone cannot
   * cancel, as long as that difference holds over the pair's life. Returns the result before and, with
   * {@code between}, the one after.
   */
  static Result[] runAround(List<String> commandA, List<String> commandB, int warmup, int measured, int pinCpu,
      Path errA, Path errB, Intervention between, int warmupAfter) throws Exception {
    Job a = new Job(commandA, errA);
    Job b = null;
    try {
      b = new Job(commandB, errB);
      a.awaitReady();
      b.awaitReady();
      if (pinCpu >= 0) {
        a.pinTrainingThread(pinCpu);
        b.pinTrainingThread(pinCpu);
      }
      Result before = turns(a, b, warmup, measured);
      Result after = null;
      if (between != null) {
        between.apply(a.process.pid());
        after = turns(a, b, warmupAfter, measured);
      }
      a.stop();
      b.stop();
      Set<String> linesA = a.agentLines();
      Set<String> linesB = b.agentLines();
      Vitals vitalsA = a.vitals();
      Vitals vitalsB = b.vitals();
      before = before.withEnd(linesA, vitalsA, linesB, vitalsB);
      return after == null ? new Result[] {before}
          : new Result[] {before, after.withEnd(linesA, vitalsA, linesB, vitalsB)};
    } finally {
      a.process.destroyForcibly();
      if (b != null) {
        b.process.destroyForcibly();
      }
    }
  }

  private static Result turns(Job a, Job b, int warmup, int measured) throws Exception {
    long[] aNs = new long[measured];
    long[] bNs = new long[measured];
    long cpuA0 = 0;
    long cpuB0 = 0;
    Map<String, Long> threadsA0 = Map.of();
    Map<String, Long> threadsB0 = Map.of();
    for (int i = 0; i < warmup + measured; i++) {
      if (i == warmup) {
        cpuA0 = a.cpuNs();
        cpuB0 = b.cpuNs();
        threadsA0 = a.threadCpuNs();
        threadsB0 = b.threadCpuNs();
      }
      long first;
      long second;
      if (i % 2 == 0) {
        first = a.step();
        second = b.step();
      } else {
        first = b.step();
        second = a.step();
      }
      if (i >= warmup) {
        aNs[i - warmup] = i % 2 == 0 ? first : second;
        bNs[i - warmup] = i % 2 == 0 ? second : first;
      }
    }
    long cpuA = a.cpuNs() - cpuA0;
    long cpuB = b.cpuNs() - cpuB0;
    Map<String, Long> threadsA = since(a.threadCpuNs(), threadsA0);
    Map<String, Long> threadsB = since(b.threadCpuNs(), threadsB0);
    return new Result(new Side(aNs, cpuA, threadsA, Set.of(), null), new Side(bNs, cpuB, threadsB, Set.of(), null));
  }
}
