package io.mltrace.collector;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.mltrace.bootstrap.Kind;

/**
 * Turns closed step records and external activities into {@link Step}s. Not thread-safe: the collector calls it
 * under its lock.
 *
 * <p>A step whose record has arrived waits in {@link #waiting} until every source has delivered what ends before
 * the step's end (the watermark), or until {@code maxHoldNanos} passed. Host-side activities (JVM events, samples)
 * are kept in time order for {@code retentionNanos}; GPU activities are keyed by the span that launched them. Both
 * are bounded; overflow drops the oldest and counts it.
 */
final class StepAssembler {
  /** A closed step waiting for its external activities. */
  static final class Draft {
    final long number;
    final long spanId;
    final long threadId;
    final String threadName;
    final long startNs;
    final long endNs;
    final long flops;
    final long opCount;
    final boolean detailed;
    /** Every span record of the step: its skeleton in a counted step, all its spans in a detailed one. */
    final List<Span> recorded;
    /** The spans the step hands on: those of a detailed step, without the {@link Kind#STEP_OPS} record. */
    final List<Span> spans;
    /** {@link #spans} as a tree, built once for every consumer. */
    final SpanTree tree;
    final long arrivedNs;
    /** The JVM when the step's record was read. */
    final JvmFacts jvm;
    /** The step record's framework-specific attributes ({@code Slots.ATTR_*}). */
    long[] attributes = new long[io.mltrace.bootstrap.Slots.STEP_ATTRIBUTE_COUNT];
    /** The step's memory, from its records; the assembler adds the series it derives. */
    StepMemory memory = new StepMemory();
    /** The application's span the step joins, or null. */
    TraceParent traceParent;
    /** mltrace's own time at the step's start ({@code Slots.STEP_OPENING_NS}). */
    long openingNs;

    Draft(long number, long spanId, long threadId, String threadName, long startNs, long endNs, long flops,
        long opCount, boolean detailed, List<Span> recorded, long arrivedNs, JvmFacts jvm) {
      this.number = number;
      this.spanId = spanId;
      this.threadId = threadId;
      this.threadName = threadName;
      this.startNs = startNs;
      this.endNs = endNs;
      this.flops = flops;
      this.opCount = opCount;
      this.detailed = detailed;
      this.recorded = recorded;
      this.spans = detailed ? withoutStepOps(recorded) : Collections.emptyList();
      this.tree = SpanTree.of(spans);
      this.arrivedNs = arrivedNs;
      this.jvm = jvm;
    }
  }

  private static List<Span> withoutStepOps(List<Span> spans) {
    for (int i = 0; i < spans.size(); i++) {
      if (spans.get(i).kind() == Kind.STEP_OPS) {
        List<Span> copy = new ArrayList<>(spans);
        copy.remove(i);
        return Collections.unmodifiableList(copy);
      }
    }
    return spans;
  }

  private final long maxHoldNanos;
  private final long retentionNanos;
  private final int maxActivities;
  private final ArrayDeque<Draft> waiting = new ArrayDeque<>();
  /** Host activities sorted by start; entries before {@link #hostFirst} are pruned. */
  private final ArrayList<ExternalActivity> host = new ArrayList<>();
  private int hostFirst;
  private long longestHostNs;
  private final Map<Long, List<ExternalActivity>> gpuBySpan = new HashMap<>();
  private final ArrayDeque<ExternalActivity> gpuUncorrelated = new ArrayDeque<>();
  private int gpuCount;
  private long activitiesDropped;
  private long stepsReleasedEarly;
  private final GpuMemoryLedger gpuMemory = new GpuMemoryLedger(1 << 16, 1 << 16);
  private final PhaseFramework phaseFramework = new PhaseFramework();

  StepAssembler(long maxHoldNanos, long retentionNanos, int maxActivities) {
    this.maxHoldNanos = maxHoldNanos;
    this.retentionNanos = retentionNanos;
    this.maxActivities = maxActivities;
  }

  void add(Draft draft) {
    waiting.add(draft);
  }

  void addActivities(List<ExternalActivity> activities) {
    int hostBefore = host.size();
    for (ExternalActivity a : activities) {
      if (a.kind().isGpuMemory()) {
        gpuMemory.add(a); // a point, not GPU work: it moves the step's memory series only
      } else if (a.kind().isGpu()) {
        if (a.correlatedSpanId() != 0) {
          gpuBySpan.computeIfAbsent(a.correlatedSpanId(), k -> new ArrayList<>()).add(a);
        } else {
          gpuUncorrelated.add(a);
        }
        gpuCount++;
      } else {
        host.add(a);
        longestHostNs = Math.max(longestHostNs, a.durationNs());
      }
    }
    if (host.size() > hostBefore && hostBefore > hostFirst
        && host.get(hostBefore).startNs() < host.get(hostBefore - 1).startNs()) {
      // Sources deliver nearly in order: a sort of the live part is cheap (TimSort on runs).
      host.subList(hostFirst, host.size()).sort((x, y) -> Long.compare(x.startNs(), y.startNs()));
    } else if (host.size() > hostBefore) {
      host.subList(hostBefore, host.size()).sort((x, y) -> Long.compare(x.startNs(), y.startNs()));
    }
    int live = host.size() - hostFirst;
    if (live > maxActivities) {
      activitiesDropped += live - maxActivities;
      hostFirst += live - maxActivities;
    }
    compactHost();
    while (gpuCount > maxActivities && !gpuUncorrelated.isEmpty()) {
      gpuUncorrelated.poll();
      gpuCount--;
      activitiesDropped++;
    }
  }

  /**
   * Steps that may close now: those ending before {@code watermarkNs}, those held longer than the bound, or all of
   * them when {@code force}. Steps close in arrival order.
   */
  List<Step> release(long watermarkNs, long nowNs, boolean force) {
    List<Step> out = new ArrayList<>();
    while (!waiting.isEmpty()) {
      Draft d = waiting.peek();
      boolean ready = d.endNs <= watermarkNs;
      if (!ready && !force && nowNs - d.arrivedNs < maxHoldNanos) {
        break;
      }
      if (!ready && !force) {
        stepsReleasedEarly++;
      }
      waiting.poll();
      out.add(assemble(d));
    }
    prune(nowNs);
    return out;
  }

  /**
   * Until when a source delivers every device allocation and release ({@link ActivitySource#gpuMemoryMeasuredUntilNs}):
   * steps that end by then get the GPU memory series; steps that end after it stopped (GPU tracing failed, or the
   * run's end) do not.
   */
  void gpuMemoryMeasuredUntil(long untilNs) {
    gpuMemory.measuredUntil(untilNs);
  }

  /** Device allocations missing from {@link MemorySeries#GPU_LIVE_BYTES}: the live-allocation table was full. */
  long gpuAllocationsUntracked() {
    return gpuMemory.untrackedAllocations();
  }

  long activitiesDropped() {
    return activitiesDropped;
  }

  long stepsReleasedEarly() {
    return stepsReleasedEarly;
  }

  int waitingSteps() {
    return waiting.size();
  }

  /** The step as its own ring records show it, before any external activity joins it. */
  Step fromRecordsOnly(Draft d) {
    StepIntervals intervals = StepIntervals.of(d.startNs, d.endNs, d.spanId, d.recorded,
        withOpening(d, new ArrayList<>(1)));
    Breakdown breakdown = StepAccounting.account(d.startNs, d.endNs, intervals.intervals);
    return new Step(d, breakdown, Collections.emptyList(), Collections.emptyMap(), Estimates.of(intervals, breakdown),
        null);
  }

  /**
   * Adds mltrace's own time at the step's start to the intervals the job's work cannot take (as a JVM pause, no op
   * estimate is placed there): the boundary's work after it took the step's start time is the agent's, not the
   * loop's input time.
   */
  private static List<StepAccounting.Interval> withOpening(Draft d, List<StepAccounting.Interval> jvm) {
    if (d.openingNs > 0) {
      jvm.add(new StepAccounting.Interval(d.startNs, Math.min(d.endNs, d.startNs + d.openingNs), Category.MLTRACE));
    }
    return jvm;
  }

  private Step assemble(Draft d) {
    List<ExternalActivity> external = new ArrayList<>();
    ExternalActivity heapAfterGc = hostActivities(d, external);
    takeGpu(d, external);
    if (heapAfterGc != null) {
      d.memory.set(MemorySeries.HEAP_AFTER_GC_BYTES, heapAfterGc.bytes());
    }
    gpuMemory.closeStep(d.memory, d.startNs, d.endNs, d.tree, d.detailed);

    List<StepAccounting.Interval> jvm = new ArrayList<>();
    for (ExternalActivity a : external) {
      if (a.kind() == ActivityKind.JVM && a.category() != null && !a.isSample()
          && (a.threadId() == d.threadId || a.threadId() == ExternalActivity.ALL_THREADS)) {
        jvm.add(new StepAccounting.Interval(a.startNs(), a.endNs(), a.category()));
      }
    }
    // What a counted step's estimates leave of a phase goes by what the thread's timed steps taught (PhaseFramework);
    // a step that teaches is accounted as measured, or it would teach back what it was taught.
    withOpening(d, jvm);
    boolean teaches = PhaseFramework.teaches(d);
    StepIntervals intervals = StepIntervals.of(d.startNs, d.endNs, d.spanId, d.recorded, jvm,
        d.detailed || teaches ? Map.of() : phaseFramework.splits(d.threadId, d.recorded));
    StepAccounting.Segments segments = StepAccounting.segments(d.startNs, d.endNs, intervals.intervals);
    Breakdown breakdown = segments.breakdown();
    if (teaches) {
      phaseFramework.learn(d.threadId, d.recorded, segments);
    }
    // Execution samples are classified in detailed steps only: a counted step's op time is placed, not observed.
    Map<String, Integer> frames = d.detailed ? hostFrames(d, external, segments) : Collections.emptyMap();
    return new Step(d, breakdown, Collections.unmodifiableList(external), frames, Estimates.of(intervals, breakdown),
        StepGpu.of(d.startNs, d.endNs, d.tree, external));
  }

  /**
   * Adds the host activities that overlap step {@code d} (its thread's, and the process-wide ones) to {@code external};
   * returns the last heap-after-GC reading that falls in the step, or null. Why a method of its own: this loop runs
   * long enough for C2 to compile it on-stack, and on-stack compiles take the whole method with it: inside
   * {@link #assemble} that was one 60 KB compile of 0.17-0.21 s on the collector's first minute (issue 22).
   */
  private ExternalActivity hostActivities(Draft d, List<ExternalActivity> external) {
    ExternalActivity heapAfterGc = null;
    for (int i = firstStartingAfter(d.startNs - longestHostNs); i < host.size(); i++) {
      ExternalActivity a = host.get(i);
      if (a.startNs() >= d.endNs) {
        break;
      }
      if (a.isHeapAfterGc()) {
        // The process's heap, whichever thread's step it falls in; the last collection of the step wins.
        if (a.startNs() >= d.startNs && (heapAfterGc == null || a.startNs() >= heapAfterGc.startNs())) {
          heapAfterGc = a;
        }
        continue;
      }
      boolean onThread = a.threadId() == d.threadId || a.threadId() == ExternalActivity.ALL_THREADS;
      boolean overlaps = a.isSample() ? a.startNs() >= d.startNs && a.startNs() < d.endNs
          : a.endNs() > d.startNs && a.startNs() < d.endNs;
      if (overlaps && (onThread || !a.isSample() && a.category() == null)) {
        external.add(a);
      }
    }
    return heapAfterGc;
  }

  /** GPU records launched by the step's spans, and uncorrelated ones that overlap it. */
  private void takeGpu(Draft d, List<ExternalActivity> external) {
    if (gpuCount == 0) {
      return;
    }
    Set<Long> ids = new HashSet<>();
    ids.add(d.spanId);
    for (Span s : d.spans) {
      ids.add(s.spanId());
    }
    for (Long id : ids) {
      List<ExternalActivity> list = gpuBySpan.remove(id);
      if (list != null) {
        external.addAll(list);
        gpuCount -= list.size();
      }
    }
    for (ExternalActivity a : gpuUncorrelated) {
      if (a.endNs() > d.startNs && a.startNs() < d.endNs) {
        external.add(a);
      }
    }
  }

  /** Samples in framework or unattributed time, by top frame, most frequent first. */
  private static Map<String, Integer> hostFrames(Draft d, List<ExternalActivity> external,
      StepAccounting.Segments segments) {
    Map<String, Integer> counts = new HashMap<>();
    for (ExternalActivity a : external) {
      if (!a.isSample() || a.threadId() != d.threadId || a.detail() == null) {
        continue;
      }
      Category c = segments.categoryAt(a.startNs());
      if (c == Category.FRAMEWORK || c == Category.UNATTRIBUTED) {
        counts.merge(a.detail(), 1, Integer::sum);
      }
    }
    if (counts.isEmpty()) {
      return Collections.emptyMap();
    }
    List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort((x, y) -> y.getValue() - x.getValue());
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> e : sorted) {
      out.put(e.getKey(), e.getValue());
    }
    return Collections.unmodifiableMap(out);
  }

  /** Index of the first live host activity starting at or after {@code t}. */
  private int firstStartingAfter(long t) {
    int lo = hostFirst;
    int hi = host.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (host.get(mid).startNs() < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void compactHost() {
    if (hostFirst > 1024 && hostFirst > host.size() / 2) {
      host.subList(0, hostFirst).clear();
      hostFirst = 0;
    }
  }

  /** Host activities older than the retention, and GPU records of spans long gone, are dropped. */
  private void prune(long nowNs) {
    long horizon = nowNs - retentionNanos;
    if (!waiting.isEmpty()) {
      horizon = Math.min(horizon, waiting.peek().startNs);
    }
    while (hostFirst < host.size() && host.get(hostFirst).startNs() + longestHostNs < horizon) {
      hostFirst++;
    }
    compactHost();
    while (!gpuUncorrelated.isEmpty() && gpuUncorrelated.peek().endNs() < horizon) {
      gpuUncorrelated.poll();
      gpuCount--;
    }
    Iterator<Map.Entry<Long, List<ExternalActivity>>> it = gpuBySpan.entrySet().iterator();
    while (it.hasNext()) {
      List<ExternalActivity> list = it.next().getValue();
      if (list.get(list.size() - 1).endNs() < horizon) {
        gpuCount -= list.size();
        it.remove();
      }
    }
  }
}
