package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The intervals that account one step, detailed or counted alike: its spans, the op time that ran inside them
 * without op spans of its own, the input gap, and the JVM's intervals. {@link StepAccounting} then sweeps them.
 *
 * <p><b>Op time without op spans</b> (a counted step's ops, or ops whose record was lost) is placed inside the span
 * that ran it, in that span's free time: the parts not covered by its child spans or by a JVM interval (a pause or
 * a wait cannot overlap a Java call's own work), GEMM first, then copies, then other ops, from the span's start.
 * Op time that does not fit (an estimate larger than the room left) is dropped and counted
 * ({@link #unplacedNs}): an estimate never takes time from another span, a data fetch or the JVM. In a phase that
 * the thread's timed steps have taught ({@link PhaseFramework}), free time that the ops and the framework's
 * learned time there leave over goes to the ops, by their learned shares, not to the framework.
 *
 * <p><b>The input gap.</b> Time from the step's start to its first phase (the first framework call that computes:
 * {@code trainBatch}, {@code forward}, {@code fit}, {@code optimize}...) is {@code data}, unless something of
 * higher priority (GC, safepoints, copies) holds it. A step starts where the previous one ended, so this is the loop's
 * own code between two iterations' compute: in a hand-written loop, the user's batch loading. XProf counts host
 * time spent before a step's compute the same way (as input time). Where no phase starts inside the step, there is
 * no gap. A step whose compute starts again (gradient accumulation: the step's first phase, such as
 * {@code forward}, runs again after the first micro-batch's backward) has such a gap before each restart: the loop's
 * loading of the next micro-batch.
 *
 * <p><b>mltrace's own time.</b> A recorded op or layer carries how long its hook took after the span's end to read
 * its shapes and write the record ({@link Span#recordingNs}); that time right after the span is
 * {@link Category#MLTRACE}, which outranks every category of the job's own work, so the recording of a detailed step
 * is not billed to the framework call (or data fetch, or enclosing op) around it.
 */
final class StepIntervals {
  private static final Category[] PLACEMENT = {Category.GEMM, Category.MEMCPY, Category.OTHER_COMPUTE};

  final List<StepAccounting.Interval> intervals = new ArrayList<>();
  /** The estimated part of the placed op time, per {@link Category} ordinal. */
  final long[] estimatedNs = new long[Category.values().length];
  /** Op time that did not fit in the span that ran it. */
  long unplacedNs;
  /** What the counting path would have estimated for the ops a detailed step timed, and what they measured. */
  long checkEstimatedNs;
  long checkMeasuredNs;

  private StepIntervals() {}

  /**
   * @param spans the step's spans as recorded, a {@link Kind#STEP_OPS} record included
   * @param jvm the JVM's intervals on the step's thread (or on all threads) that overlap the step
   */
  static StepIntervals of(long stepStart, long stepEnd, long stepSpanId, List<Span> spans,
      List<StepAccounting.Interval> jvm) {
    return of(stepStart, stepEnd, stepSpanId, spans, jvm, Map.of());
  }

  /**
   * The input gaps of a step whose compute starts again (gradient accumulation: load, forward, loss, backward, then
   * the next micro-batch, and one optimizer step): before each later top-level phase named as the step's first one
   * (the phase that began at {@code firstPhaseStart}), the time since the step's previous top-level span ended is
   * {@code data}, as the input gap before the first one is. Only top-level spans count, so a gap never lies inside
   * a framework call; tensor ops in it are the loading's (they count as data, as in the first gap), and anything of
   * higher priority (copies, the JVM's pauses) keeps its time.
   */
  private static void addRestartGaps(List<StepAccounting.Interval> intervals, long stepSpanId, List<Span> spans,
      long firstPhaseStart) {
    List<Span> top = new ArrayList<>();
    String first = null;
    for (Span s : spans) {
      // Ops directly in the step (a detailed step's loading: its arrays made) lie in the gap, as in the first one.
      if (s.parentId() == stepSpanId && s.kind() != Kind.STEP_OPS && !Kind.isOp(s.kind())
          && s.startNs() >= firstPhaseStart) {
        top.add(s);
        if (s.kind() == Kind.PHASE && s.startNs() == firstPhaseStart && first == null) {
          first = s.name();
        }
      }
    }
    if (first == null || top.size() < 2) {
      return;
    }
    top.sort(java.util.Comparator.comparingLong(Span::startNs));
    long previousEnd = top.get(0).endNs();
    for (int i = 1; i < top.size(); i++) {
      Span s = top.get(i);
      if (s.kind() == Kind.PHASE && s.name().equals(first) && s.startNs() > previousEnd) {
        intervals.add(new StepAccounting.Interval(previousEnd, s.startNs(), Category.DATA));
      }
      previousEnd = Math.max(previousEnd, s.endNs());
    }
  }

  /**
   * @param splits for the phases that the thread's timed steps have taught ({@link PhaseFramework}): the most
   *     framework time they spent there, and their ops' shares
   */
  static StepIntervals of(long stepStart, long stepEnd, long stepSpanId, List<Span> spans,
      List<StepAccounting.Interval> jvm, Map<Span, PhaseFramework.Split> splits) {
    StepIntervals out = new StepIntervals();
    Span stepOps = null;
    long gapStart = stepStart;
    long gapEnd = Long.MAX_VALUE;
    Set<Long> ids = new HashSet<>();
    for (Span s : spans) {
      if (s.kind() == Kind.STEP_OPS) {
        stepOps = s;
        continue;
      }
      ids.add(s.spanId());
      out.intervals.add(new StepAccounting.Interval(s.startNs(), s.endNs(), s.category()));
      if (s.recordingNs() > 0) {
        out.intervals.add(new StepAccounting.Interval(s.endNs(), s.endNs() + s.recordingNs(), Category.MLTRACE));
      }
      if (s.kind() == Kind.PHASE) {
        if (s.startNs() >= stepStart) {
          gapEnd = Math.min(gapEnd, s.startNs());
        } else {
          gapStart = Math.max(gapStart, s.endNs()); // the previous iteration's call, ending inside this step
        }
      }
    }
    if (gapEnd != Long.MAX_VALUE) {
      if (gapEnd > gapStart) {
        out.intervals.add(new StepAccounting.Interval(gapStart, gapEnd, Category.DATA));
      }
      addRestartGaps(out.intervals, stepSpanId, spans, gapEnd);
    }
    out.intervals.addAll(jvm);
    if (stepOps != null) {
      out.checkEstimatedNs = stepOps.opTimeCheck(Slots.CHECK_ESTIMATED_NS);
      out.checkMeasuredNs = stepOps.opTimeCheck(Slots.CHECK_MEASURED_NS);
    }
    out.placeOpTime(stepStart, stepEnd, stepSpanId, spans, stepOps, ids, jvm, splits);
    return out;
  }

  private void placeOpTime(long stepStart, long stepEnd, long stepSpanId, List<Span> spans, Span stepOps,
      Set<Long> ids, List<StepAccounting.Interval> jvm, Map<Span, PhaseFramework.Split> splits) {
    Map<Long, List<Span>> children = null;
    for (Span s : spans) {
      if (s.opTime() == null) {
        continue;
      }
      if (children == null) {
        children = new HashMap<>();
        for (Span c : spans) {
          if (c.kind() != Kind.STEP_OPS) {
            long parent = ids.contains(c.parentId()) ? c.parentId() : stepSpanId;
            children.computeIfAbsent(parent, k -> new ArrayList<>()).add(c);
          }
        }
      }
      long owner = s.kind() == Kind.STEP_OPS ? stepSpanId : s.spanId();
      long from = s == stepOps ? stepStart : Math.max(stepStart, s.startNs());
      long to = s == stepOps ? stepEnd : Math.min(stepEnd, s.endNs());
      place(s.opTime(), s.opTimingNs(), from, to, children.getOrDefault(owner, Collections.emptyList()), jvm,
          splits.get(s));
    }
  }

  /**
   * Lays {@code timingNs} of mltrace's own work on the timed ops, then {@code opTime}, out in the free time of
   * {@code [from, to)}; given the phase's learned split, the time left over is first added to its estimated part
   * (see {@link #split}).
   */
  private void place(long[] opTime, long timingNs, long from, long to, List<Span> children,
      List<StepAccounting.Interval> jvm, PhaseFramework.Split learned) {
    if (to <= from) {
      for (int c = 0; c < PLACEMENT.length; c++) {
        unplacedNs += opTime[c];
      }
      return;
    }
    List<long[]> taken = new ArrayList<>();
    for (Span c : children) {
      taken.add(new long[] {c.startNs(), c.endNs() + c.recordingNs()});
    }
    for (StepAccounting.Interval iv : jvm) {
      taken.add(new long[] {iv.start, iv.end});
    }
    taken.sort((x, y) -> Long.compare(x[0], y[0]));
    List<long[]> free = new ArrayList<>();
    long cursor = from;
    for (long[] t : taken) {
      if (t[1] <= cursor) {
        continue;
      }
      if (t[0] >= to) {
        break;
      }
      if (t[0] > cursor) {
        free.add(new long[] {cursor, t[0]});
      }
      cursor = Math.max(cursor, t[1]);
    }
    if (cursor < to) {
      free.add(new long[] {cursor, to});
    }
    if (timingNs > 0) {
      free = takeFromStart(free, timingNs, Category.MLTRACE);
    }
    if (learned != null) {
      long freeNs = 0;
      for (long[] f : free) {
        freeNs += f[1] - f[0];
      }
      opTime = split(opTime, freeNs, learned);
    }
    int segment = 0;
    long at = free.isEmpty() ? to : free.get(0)[0];
    for (int c = 0; c < PLACEMENT.length; c++) {
      long want = opTime[c];
      long placed = 0;
      while (placed < want && segment < free.size()) {
        long[] f = free.get(segment);
        long take = Math.min(want - placed, f[1] - at);
        if (take > 0) {
          intervals.add(new StepAccounting.Interval(at, at + take, PLACEMENT[c]));
          placed += take;
          at += take;
        }
        if (at >= f[1]) {
          segment++;
          at = segment < free.size() ? free.get(segment)[0] : to;
        }
      }
      long estimated = opTime[PLACEMENT.length + c];
      long measured = want - estimated;
      estimatedNs[PLACEMENT[c].ordinal()] += Math.max(0, placed - measured);
      unplacedNs += want - placed;
    }
  }

  /**
   * Places up to {@code ns} of {@code category} at the start of the {@code free} segments; returns what stays free.
   * What does not fit is dropped: the span's ops and framework then have none of its time.
   */
  private List<long[]> takeFromStart(List<long[]> free, long ns, Category category) {
    List<long[]> left = new ArrayList<>();
    long want = ns;
    for (long[] f : free) {
      long take = Math.min(want, f[1] - f[0]);
      if (take > 0) {
        intervals.add(new StepAccounting.Interval(f[0], f[0] + take, category));
        want -= take;
      }
      if (f[0] + take < f[1]) {
        left.add(new long[] {f[0] + take, f[1]});
      }
    }
    return left;
  }

  /**
   * {@code opTime} with what the ops' own estimates and the framework's learned time leave of the free time added to
   * its estimated parts by the learned shares of such excess; the framework keeps the share the ops do not take (it
   * is what stays free), and the ops never get less than their estimates. Unchanged when nothing in {@code opTime}
   * is estimated (every op of the span was timed, or it ran none), or when nothing is left over (an estimate that
   * does not fit is then clipped as anywhere else).
   */
  static long[] split(long[] opTime, long freeNs, PhaseFramework.Split learned) {
    int n = PLACEMENT.length;
    long ops = 0;
    long estimated = 0;
    for (int c = 0; c < n; c++) {
      estimated += opTime[n + c];
      ops += opTime[c];
    }
    long excess = freeNs - ops - learned.frameworkNs;
    if (estimated <= 0 || excess <= 0) {
      return opTime;
    }
    long[] out = opTime.clone();
    for (int c = 0; c < n; c++) {
      long e = Math.round(excess * learned.opShares[c]);
      out[c] += e;
      out[n + c] += e;
    }
    return out;
  }
}
