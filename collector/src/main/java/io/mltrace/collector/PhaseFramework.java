package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How each phase of a thread's steps spends its own time, learned from the thread's timed steps (counted steps that
 * time every op, {@code timed_step_every}): how much the framework's code takes (the Java between and around its
 * ops), and where its time above the usual went (the framework, GEMM, copies or other ops). {@link StepIntervals}
 * uses it where a counted phase took longer than its ops' estimates and that framework time: the time left over is
 * divided as the timed steps' own excesses were.
 *
 * <p>Why: the ops are what varies from step to step. On a busy 2-core machine with a native thread per core, the same
 * DJL convolution takes 1.3 ms in one step and 4.4 ms in the next, and any ND4J op of the DL4J MLP, 10-400 us in most
 * steps, takes 5-16 ms in some (a worker thread descheduled), while the framework's Java code around them stays
 * within 0.3-0.8 ms (DJL CNN) and 1.1-1.8 ms (DL4J MLP) a step. An estimate from past samples cannot know which steps
 * are the slow ones, and what it left over of the measured phase was called {@code framework}: 28-35 points too
 * much on the DL4J MLP. Where the stalls land depends on the job: with native worker threads they hit the ops (and
 * the many short non-GEMM ops more than their time says); a single-threaded job's thread is descheduled anywhere,
 * its framework code included (the DL4J MLP with one native thread: timed steps' framework up to 9.8 ms against a
 * usual 0.9, its other ops up to 2.3 ms against 0.3). So the excess is divided as the timed steps' excesses were:
 * each part's time over its median among the last samples, summed with decay over {@link #EXCESS_MEMORY} timed
 * steps. Given to the ops alone, the single-threaded DL4J MLP's counted steps read 14.1 % other ops against the timed
 * steps' 7.8, and 20.4 % framework against 26.0. Until anything has varied, the ops take it by their time.
 *
 * <p>Why timed steps and not detailed ones: a detailed step's framework time includes its own recording (in the
 * production mode, one step in 100, run cold); learned from detailed steps, the demo job's counted {@code framework}
 * read 16.7-21.2 % where counted steps timing every op measured 10.0-12.6 %. Why a ceiling at the most of the last
 * {@link #SAMPLES}, and not the whole phase split as they split it: that variant also rewrites the ops' estimates
 * where nothing stalled, and in one suite run it was no closer to the timed steps (the DL4J MLP's other ops 5.5
 * points high against 3.6 with the ceiling); a ceiling at the mean of a quantity that varies cuts every step above it
 * (the DL4J MLP's {@code framework} came out 10 points under). At the most, it only moves time that no recent timed
 * step spent in the framework; where nothing stalls, a counted step is accounted as before. Tried in session 28 and
 * not kept: a floor at the least framework time (estimates leaving less give the difference back; they are means,
 * slow samples included), which read the DL4J MLP's counted {@code framework} 1.6-2.0 points above its detailed steps'
 * in 4 of 4 runs (0.1, -0.6, 1.1, -1.4 without it), and the difference divided both ways around the mean framework
 * time (2-5 points). A timed step's hooks' own work on its ops (learning their times, about 1 us an op) is
 * {@code mltrace}'s, measured: left in the framework's time, it raised what the timed steps teach.
 *
 * <p>A phase's own time is its span less its skeleton children (phases and data fetches, which every step records);
 * JVM pauses and anything else in it belong to none of these parts. A phase is known by its name and its rank among
 * the step's phases of that name (DL4J runs two {@code updater} phases per step), per thread.
 *
 * <p>Bounded: at most {@link #MAX_THREADS} threads (the least recently stepped dropped first) and
 * {@link #MAX_PHASES} phases per thread. Not thread-safe: the assembler calls it under the collector's lock.
 */
final class PhaseFramework {
  static final int SAMPLES = 8;
  /** Samples a phase needs before its parts' excesses over their medians are learned. */
  static final int MIN_SAMPLES_FOR_EXCESS = 3;
  /**
   * Timed steps over which the excesses are remembered (a decay of 1/this per step): a stall comes in a few steps of
   * a hundred, more than {@link #SAMPLES} must see where stalls go.
   */
  static final int EXCESS_MEMORY = 32;
  static final int MAX_THREADS = 256;
  static final int MAX_PHASES = 64;
  /** A thread's first steps, which teach nothing: the recorder's own warm-up (its {@code OpPath.WARM_STEPS}). */
  static final int WARM_STEPS = 3;

  /**
   * What a phase is learned to spend: the framework's time, and how a counted step's excess (what its ops' estimates
   * and that framework time leave of it) divides between GEMM, copies, other ops and, for the rest, the framework.
   */
  static final class Split {
    final long frameworkNs;
    /**
     * GEMM, copy and other ops' shares of the excess, in {@link StepIntervals}' placement order; what they leave
     * (1 less their sum) stays the framework's.
     */
    final double[] opShares;

    Split(long frameworkNs, double[] opShares) {
      this.frameworkNs = frameworkNs;
      this.opShares = opShares;
    }
  }

  /**
   * One phase's last samples (framework, GEMM, copy and other ns of its own time in a timed step) and, over more
   * steps, where its time above the usual went: per part, the decayed sum of its time over its median among the
   * samples ({@link #EXCESS_MEMORY}).
   */
  private static final class Learned {
    private final long[][] samples = new long[SAMPLES][];
    private final double[] excess = new double[4];
    private int seen;

    void add(long[] sample) {
      samples[seen++ % SAMPLES] = sample;
      int n = Math.min(seen, SAMPLES);
      if (n < MIN_SAMPLES_FOR_EXCESS) {
        return;
      }
      long[] values = new long[n];
      for (int j = 0; j < 4; j++) {
        for (int i = 0; i < n; i++) {
          values[i] = samples[i][j];
        }
        Arrays.sort(values);
        excess[j] = excess[j] * (1 - 1.0 / EXCESS_MEMORY) + Math.max(0, sample[j] - values[n / 2]);
      }
    }

    Split split() {
      int n = Math.min(seen, SAMPLES);
      long[] sum = new long[4];
      long mostFramework = 0;
      for (int i = 0; i < n; i++) {
        mostFramework = Math.max(mostFramework, samples[i][0]);
        for (int j = 1; j < 4; j++) {
          sum[j] += samples[i][j];
        }
      }
      double excessTotal = excess[0] + excess[1] + excess[2] + excess[3];
      if (excessTotal > 0) {
        return new Split(mostFramework, new double[] {excess[1] / excessTotal, excess[2] / excessTotal,
            excess[3] / excessTotal});
      }
      long ops = sum[1] + sum[2] + sum[3]; // nothing has varied yet: the ops take it, by their time
      return new Split(mostFramework, new double[] {(double) sum[1] / ops, (double) sum[2] / ops,
          (double) sum[3] / ops});
    }
  }

  private final Map<Long, Map<String, Learned>> byThread = new LinkedHashMap<Long, Map<String, Learned>>(16, 0.75f,
      true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Map<String, Learned>> eldest) {
      return size() > MAX_THREADS;
    }
  };

  /**
   * What this thread's timed steps taught of each phase among {@code spans} (a counted step's records), by span;
   * phases not yet taught are absent.
   */
  Map<Span, Split> splits(long threadId, List<Span> spans) {
    Map<String, Learned> known = byThread.get(threadId);
    if (known == null) {
      return Map.of();
    }
    Map<Span, Split> out = new HashMap<>();
    for (Map.Entry<Span, String> e : keys(spans).entrySet()) {
      Learned learned = known.get(e.getValue());
      if (learned != null) {
        out.put(e.getKey(), learned.split());
      }
    }
    return out;
  }

  /**
   * True for a step to learn from: one that is not detailed (a detailed step's framework time includes its own
   * recording) and timed every op (see {@code Sampling.timedStepEvery}), past the thread's first steps, whose ops
   * run for the first time.
   */
  static boolean teaches(StepAssembler.Draft d) {
    return !d.detailed && d.number > WARM_STEPS && d.opCount > 0
        && d.attributes[Slots.ATTR_OPS_TIMED] >= d.opCount;
  }

  /** Learns from a step that {@link #teaches}: {@code spans} its records, {@code segments} its accounted time. */
  void learn(long threadId, List<Span> spans, StepAccounting.Segments segments) {
    Map<Long, List<Span>> skeletonChildren = new HashMap<>();
    for (Span s : spans) {
      if (s.kind() == Kind.PHASE || s.kind() == Kind.DATA) {
        skeletonChildren.computeIfAbsent(s.parentId(), k -> new ArrayList<>()).add(s);
      }
    }
    Map<String, Learned> known = byThread.computeIfAbsent(threadId, k -> new HashMap<>());
    for (Map.Entry<Span, String> e : keys(spans).entrySet()) {
      Span phase = e.getKey();
      long[] own = segments.nsIn(phase.startNs(), phase.endNs());
      for (Span child : skeletonChildren.getOrDefault(phase.spanId(), List.of())) {
        long[] inChild = segments.nsIn(child.startNs(), child.endNs());
        for (int c = 0; c < own.length; c++) {
          own[c] -= inChild[c];
        }
      }
      long ops = own[Category.GEMM.ordinal()] + own[Category.MEMCPY.ordinal()]
          + own[Category.OTHER_COMPUTE.ordinal()];
      long framework = own[Category.FRAMEWORK.ordinal()];
      if (ops <= 0) {
        continue; // a phase that runs no ops has nothing to split
      }
      Learned learned = known.get(e.getValue());
      if (learned == null) {
        if (known.size() >= MAX_PHASES) {
          continue;
        }
        learned = new Learned();
        known.put(e.getValue(), learned);
      }
      learned.add(new long[] {framework, own[Category.GEMM.ordinal()], own[Category.MEMCPY.ordinal()],
          own[Category.OTHER_COMPUTE.ordinal()]});
    }
  }

  /** Each phase span's key: its name and its rank, by start, among the step's phases of that name. */
  private static Map<Span, String> keys(List<Span> spans) {
    List<Span> phases = new ArrayList<>();
    for (Span s : spans) {
      if (s.kind() == Kind.PHASE) {
        phases.add(s);
      }
    }
    phases.sort((a, b) -> Long.compare(a.startNs(), b.startNs()));
    Map<String, Integer> ranks = new HashMap<>();
    Map<Span, String> keys = new LinkedHashMap<>();
    for (Span p : phases) {
      int rank = ranks.merge(p.name(), 1, Integer::sum);
      keys.put(p, p.name() + "#" + rank);
    }
    return keys;
  }
}
