package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.ThreadRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@link DjlAdviceBenchmark} bodies timed by the calling thread's CPU time instead of wall time: on a machine
 * shared with other jobs, wall time per op includes the time the thread waited for a core; CPU time does not.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar io.mltrace.benchmarks.AdvicePathCpuTime [rounds]}: for each
 * mode and body, 2 warm-up rounds and {@code rounds} (default 7) measured rounds of 5 million calls; prints the
 * median and the range of ns per call.
 */
public final class AdvicePathCpuTime {
  private static final int CALLS = 5_000_000;

  private AdvicePathCpuTime() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    // The floor of any enter/exit pair: two clock reads.
    double[] clock = new double[rounds];
    long sink = 0;
    for (int r = -2; r < rounds; r++) {
      long t0 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < CALLS; i++) {
        sink += System.nanoTime() - System.nanoTime();
      }
      if (r >= 0) {
        clock[r] = (mx.getCurrentThreadCpuTime() - t0) / (double) CALLS;
      }
    }
    Arrays.sort(clock);
    System.out.println(String.format(Locale.ROOT, "%-20s median %7.1f ns/op  range %.1f-%.1f  (%d)",
        "2x System.nanoTime",
        clock[rounds / 2], clock[0], clock[rounds - 1], sink == 42 ? 0 : rounds));
    for (String mode : new String[] {"off", "counting", "recording"}) {
      DjlAdviceBenchmark b = new DjlAdviceBenchmark();
      b.mode = mode;
      b.setUp();
      for (String body : new String[] {"linearOp", "otherOp", "layer"}) {
        double[] ns = new double[rounds];
        for (int r = -2; r < rounds; r++) {
          long t0 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < CALLS; i++) {
            switch (body) {
              case "linearOp": b.linearOp(); break;
              case "otherOp": b.otherOp(); break;
              default: b.layer(); break;
            }
          }
          double perCall = (mx.getCurrentThreadCpuTime() - t0) / (double) CALLS;
          if (r >= 0) {
            ns[r] = perCall;
          }
        }
        Arrays.sort(ns);
        long dropped = 0;
        for (ThreadRecorder tr : ThreadRegistry.threads()) {
          dropped += tr.dropped();
        }
        System.out.println(String.format(Locale.ROOT,
            "%-10s %-9s median %7.1f ns/op  range %.1f-%.1f  (%d rounds of %d; records dropped so far %d)",
            body, mode, ns[rounds / 2], ns[0], ns[rounds - 1], rounds, CALLS, dropped));
      }
      b.tearDown();
    }
  }
}
