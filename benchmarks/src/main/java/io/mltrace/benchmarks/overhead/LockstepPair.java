package io.mltrace.benchmarks.overhead;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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

  /** One side's measured steps (after the warm-up), its CPU time over them, and its {@code mltrace:} lines. */
  static final class Side {
    final long[] stepNs;
    final long cpuNs;
    final Set<String> agentLines;

    Side(long[] stepNs, long cpuNs, Set<String> agentLines) {
      this.stepNs = stepNs;
      this.cpuNs = cpuNs;
      this.agentLines = agentLines;
    }

    double medianStepNs() {
      long[] sorted = stepNs.clone();
      Arrays.sort(sorted);
      return sorted[sorted.length / 2];
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
  }

  private static final class Job {
    final Process process;
    final BufferedReader out;
    final Writer in;
    final Path err;
    final List<String> otherOutput = new ArrayList<>();

    Job(List<String> cmd, Path err) throws IOException {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
      // One compute thread each, as in the sequential harness: two jobs on a 2-core machine must not oversubscribe.
      pb.environment().put("OMP_NUM_THREADS", "1");
      this.process = pb.start();
      this.err = err;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
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

    long step() throws IOException {
      in.write("step\n");
      in.flush();
      return Long.parseLong(await("done "));
    }

    long cpuNs() {
      return process.info().totalCpuDuration().map(Duration::toNanos)
          .orElseThrow(() -> new IllegalStateException("no CPU time for process " + process.pid()));
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
      try {
        in.write("stop\n");
        in.close();
      } catch (IOException alreadyGone) {
        // The job ended on its own; waitFor below reports nothing more.
      }
      if (!process.waitFor(TURN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
      }
    }
  }

  private LockstepPair() {}

  /**
   * Runs {@code commandA} and {@code commandB} (each with {@code --lockstep true}) in lockstep for
   * {@code warmup + measured} turns each; {@code errA}/{@code errB} receive their stderr.
   */
  static Result run(List<String> commandA, List<String> commandB, int warmup, int measured, Path errA, Path errB)
      throws Exception {
    Job a = new Job(commandA, errA);
    Job b = null;
    try {
      b = new Job(commandB, errB);
      a.await("ready");
      b.await("ready");
      long[] aNs = new long[measured];
      long[] bNs = new long[measured];
      long cpuA0 = 0;
      long cpuB0 = 0;
      for (int i = 0; i < warmup + measured; i++) {
        if (i == warmup) {
          cpuA0 = a.cpuNs();
          cpuB0 = b.cpuNs();
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
      a.stop();
      b.stop();
      return new Result(new Side(aNs, cpuA, a.agentLines()), new Side(bNs, cpuB, b.agentLines()));
    } finally {
      a.process.destroyForcibly();
      if (b != null) {
        b.process.destroyForcibly();
      }
    }
  }
}
