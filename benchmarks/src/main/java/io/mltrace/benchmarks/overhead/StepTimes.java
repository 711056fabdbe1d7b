package io.mltrace.benchmarks.overhead;

import java.util.Arrays;
import java.util.Locale;

/** The step times a job measured itself, and the summary line the sequential harness parses. */
final class StepTimes {
  private long[] ns = new long[1024];
  private int count;

  void add(long stepNs) {
    if (count == ns.length) {
      ns = Arrays.copyOf(ns, count * 2);
    }
    ns[count++] = stepNs;
  }

  /** {@code step_ns median=<ns> mean=<ns> steps=<n>} over the steps after the first {@code warmup}. */
  String summary(int warmup) {
    long[] timed = Arrays.copyOfRange(ns, Math.min(warmup, count), count);
    if (timed.length == 0) {
      return "step_ns median=0 mean=0 steps=0";
    }
    Arrays.sort(timed);
    long sum = 0;
    for (long t : timed) {
      sum += t;
    }
    return String.format(Locale.ROOT, "step_ns median=%d mean=%d steps=%d", timed[timed.length / 2],
        sum / timed.length, timed.length);
  }
}
