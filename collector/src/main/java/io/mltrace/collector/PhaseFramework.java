package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How each phase of a thread's steps splits its own time, learned from the thread's detailed steps: how much the
 * framework's code takes (the Java between and around its ops), and how the rest divides between GEMM, copies and
 * other ops. A counted step measures each phase's time; {@link StepIntervals} splits it the same way.
 *
 * <p>Why this and not the ops' own estimates (each untimed op costed from its last timed samples): the ops are what
 * varies. On a loaded 2-core machine the same DJL convolution takes 1.3 ms in one step and 4.4 ms in the next, and any
 * ND4J op of the DL4J MLP, 10-400 us in most steps, takes 5-16 ms in some (a worker thread descheduled: the stalls
 * come per call, so the many short ops collect more of them than their time suggests), while the framework's Java
 * code around them stays within 0.3-0.8 ms (DJL CNN) and 1.1-1.8 ms (DL4J MLP) a step. An estimate from past samples
 * cannot know which steps are the slow ones; what it left over of the measured phase became {@code framework} (4
 * points too much on the DJL CNN, 28 on the DL4J MLP, against the detailed steps of the same run), and spreading
 * that over the ops by their estimates still gave GEMM 12-22 points too much on the DL4J MLP. The detailed steps are
 * a sample of the same loop: their split, summed over the last {@link #SAMPLES} of them, is what a counted step is
 * most likely to have spent, stalls included. The per-op estimates still cost a phase until a detailed step has
 * taught it, and everything outside phases.
 *
 * <p>A phase's own time is its span less its skeleton children (phases and data fetches, which a counted step records
 * too); JVM pauses and anything else in it belong to none of these parts. A phase is known by its name and its rank
 * among the step's phases of that name (DL4J runs two {@code updater} phases per step), per thread.
 *
 * <p>A detailed step is also a check: before it teaches, the op time its phases would have been given is compared
 * with the op time its spans measured there ({@link Check}).
 *
 * <p>Bounded: at most {@link #MAX_THREADS} threads (the least recently stepped dropped first) and
 * {@link #MAX_PHASES} phases per thread. Not thread-safe: the assembler calls it under the collector's lock.
 */
final class PhaseFramework {
  static final int SAMPLES = 8;
  static final int MAX_THREADS = 256;
  static final int MAX_PHASES = 64;

  /** The op time that the learned splits would have given a detailed step's phases, against what they measured. */
  static final class Check {
    static final Check NONE = new Check(0, 0);
    final long estimatedNs;
    final long measuredNs;

    Check(long estimatedNs, long measuredNs) {
      this.estimatedNs = estimatedNs;
      this.measuredNs = measuredNs;
    }
  }

  /** What a counted phase's own time is split by: the framework's time, then the ops' shares of the rest. */
  static final class Split {
    final long frameworkNs;
    /** GEMM, copy and other ops' shares of the ops' time, in {@link StepIntervals}' placement order. */
    final double[] opShares;

    Split(long frameworkNs, double[] opShares) {
      this.frameworkNs = frameworkNs;
      this.opShares = opShares;
    }
  }

  /** One phase's last samples: framework, GEMM, copy and other ns of its own time in a detailed step. */
  private static final class Learned {
    private final long[][] samples = new long[SAMPLES][];
    private int seen;

    void add(long[] sample) {
      samples[seen++ % SAMPLES] = sample;
    }

    Split split() {
      int n = Math.min(seen, SAMPLES);
      long[] sum = new long[4];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < 4; j++) {
          sum[j] += samples[i][j];
        }
      }
      long ops = sum[1] + sum[2] + sum[3];
      return new Split(sum[0] / n, new double[] {(double) sum[1] / ops, (double) sum[2] / ops,
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
   * The learned split of each phase among {@code spans} (a counted step's records) that this thread's detailed steps
   * have taught, by span; phases not yet taught are absent.
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

  /** Learns from a detailed step: {@code spans} are all its spans, {@code segments} its accounted time. */
  Check learn(long threadId, List<Span> spans, StepAccounting.Segments segments) {
    Map<Long, List<Span>> skeletonChildren = new HashMap<>();
    for (Span s : spans) {
      if (s.kind() == Kind.PHASE || s.kind() == Kind.DATA) {
        skeletonChildren.computeIfAbsent(s.parentId(), k -> new ArrayList<>()).add(s);
      }
    }
    Map<String, Learned> known = byThread.computeIfAbsent(threadId, k -> new HashMap<>());
    long estimated = 0;
    long measured = 0;
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
      } else {
        estimated += Math.max(0, ops + framework - learned.split().frameworkNs);
        measured += ops;
      }
      learned.add(new long[] {framework, own[Category.GEMM.ordinal()], own[Category.MEMCPY.ordinal()],
          own[Category.OTHER_COMPUTE.ordinal()]});
    }
    return estimated == 0 && measured == 0 ? Check.NONE : new Check(estimated, measured);
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
