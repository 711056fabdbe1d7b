package io.mltrace.bootstrap;

import java.lang.ref.WeakReference;
import java.util.Arrays;

/**
 * One thread's recording state: its {@link RecordRing}, its open spans ({@link SpanStack}), its current step, its
 * op accounting ({@link OpPath}: the counting path's sampler and estimates, the backward estimate's window), and the
 * engine profiler's state ({@link ProfiledStep}).
 *
 * <p>Contract: every method not marked otherwise belongs to the owning thread (the single producer), called through
 * {@link Recorder}. {@link #drain} belongs to one consumer thread at a time (the collector). {@link #threadId},
 * {@link #threadName}, {@link #isAlive}, {@link #dropped} and {@link #pending} are safe from any thread.
 */
public final class ThreadRecorder {
  static final int MAX_DEPTH = SpanStack.MAX_DEPTH;
  /** A thread's first steps time every op, counted or not ({@link OpPath#WARM_STEPS}). */
  static final int WARM_STEPS = OpPath.WARM_STEPS;

  /** Receives the records of a drain; called on the consumer thread. */
  public interface RecordVisitor {
    /**
     * One record: {@code slots[base + Slots.X]}. The name is the interned constant the advice passed.
     * The array is reused after the call returns.
     */
    void visit(ThreadRecorder source, long[] slots, int base, String name);
  }

  private final RecordRing ring;
  private final SpanStack spans;
  private final WeakReference<Thread> thread;
  private final long threadId;
  private final String threadName;

  // The current step.
  private long stepSpanId;
  private long stepStart;
  /** mltrace's own time at the step's start ({@link #stepOpened}). */
  private long stepOpeningNs;
  private boolean stepDetailed;
  /** Framework-specific step attributes, written to {@link Slots#STEP_ATTRIBUTES} of the step record. */
  private final long[] stepAttributes = new long[Slots.STEP_ATTRIBUTE_COUNT];
  /** The step's memory flows ({@link MemorySlots}), added to by the hooks, and the mask of those touched. */
  private final long[] stepMemory = new long[MemorySlots.COUNT];
  private long stepMemoryMask;
  /** The thread's allocated heap bytes when the step opened; -1 when not read. */
  private long heapAllocatedAtOpen = -1;
  /** True once the application's trace context was read on this thread ({@link TraceContext}). */
  private boolean traceContextRead;
  /** True once this thread ran a training loop (or closed a step): its loop parts may open steps. */
  private boolean loopThread;
  /**
   * A recorder no collector sees ({@link HotPathWarmUp}): it reads no application state (trace context, memory
   * gauges, which may read the calling thread's framework state) and captures no creation sites (process-wide).
   */
  private boolean privateRecorder;
  /** Open spans that end a step ({@link Recorder#enterStepEnd}); only the outermost one ends it. */
  private int stepEnders;
  /** Open inference roots ({@link Recorder#enterRoot}); while any is open no step opens on this thread. */
  private int rootDepth;
  /**
   * A root ended here and opened the open step, and no phase, fetch or layer began since
   * ({@link Recorder#afterEvaluation}).
   */
  private boolean afterEvaluation;
  /** The open roots (outside any step) record no ops or layers: a training thread's root before an undetailed step. */
  private boolean rootUndetailed;
  /**
   * A phase of the open step's iteration began ({@link Recorder#enterPhase}): the iteration is under way, so a root
   * entered now (a checkpoint saved between {@code backward} and the optimizer) is part of it, not between two
   * iterations.
   */
  private boolean iterationBegan;

  /**
   * This thread's share of {@link TensorLife}'s live level: the bytes and count of the tensors counted live here
   * (created here, minus those closed here, whichever thread created them). Plain fields, written by this thread
   * only and summed by the level's readers: a {@code LongAdder} per tensor event cost 4 CAS through a VarHandle,
   * slow in C1's code, which is what a job's first thousands of steps run (issue 22).
   */
  private long liveTensorBytes;
  private long liveTensors;

  private final OpPath ops;
  private final ProfiledStep profile = new ProfiledStep();
  /** The tensors this thread created in its open step ({@link TensorLife}). */
  private final StepTensors tensors = new StepTensors();

  @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and the agent runs on 17
  ThreadRecorder(Thread owner, int index, int capacityRecords) {
    this.ring = new RecordRing(capacityRecords);
    this.spans = new SpanStack(index);
    this.thread = new WeakReference<>(owner);
    this.threadId = owner.getId();
    this.threadName = owner.getName();
    this.ops = new OpPath(MAX_DEPTH + 1, spans.idBase() ^ System.nanoTime());
  }

  // ---- any thread ------------------------------------------------------------------------------------------------

  public long threadId() {
    return threadId;
  }

  public String threadName() {
    return threadName;
  }

  /** True while the owning thread lives. */
  public boolean isAlive() {
    Thread t = thread.get();
    return t != null && t.isAlive();
  }

  /** Records dropped so far. */
  public long dropped() {
    return ring.dropped();
  }

  /** Records written and not yet drained. */
  public long pending() {
    return ring.pending();
  }

  // ---- consumer (the collector) ------------------------------------------------------------------------------------

  /** Hands every published record to the visitor, oldest first, and frees their slots. Returns the count. */
  public int drain(RecordVisitor visitor) {
    return ring.drain(this, visitor);
  }

  /** This thread's share of the live tensors' bytes ({@link #countLiveTensors}); any thread, a moment late. */
  long liveTensorBytes() {
    return liveTensorBytes;
  }

  /** This thread's share of the live tensors' count; any thread, a moment late. */
  long liveTensors() {
    return liveTensors;
  }

  /**
   * Adds to this thread's share of the live tensors. The owning thread only, or the collector once the thread has
   * ended ({@link TensorLife#keepLiveShareOf}), or a test's reset.
   */
  void countLiveTensors(long bytes, long count) {
    liveTensorBytes += bytes;
    liveTensors += count;
  }

  // ---- producer: the step ------------------------------------------------------------------------------------------

  /** The innermost open span's id, or the open step's id, or 0. */
  public long currentSpanId() {
    return spans.depth() > 0 ? spans.innermostId() : stepSpanId;
  }

  boolean inStep() {
    return stepSpanId != 0;
  }

  void openStep(long now, boolean detailed) {
    if (!traceContextRead && !privateRecorder) {
      readTraceContext(now);
    }
    stepSpanId = spans.nextId();
    stepStart = now;
    stepOpeningNs = 0;
    stepDetailed = detailed;
    iterationBegan = false;
    ops.startStep(detailed, Sampling.policy().opTimingEvery, Sampling.timedStepEvery());
    Arrays.fill(stepAttributes, 0);
    Arrays.fill(stepMemory, 0);
    stepMemoryMask = 0;
    heapAllocatedAtOpen = MemoryGauges.threadAllocatedBytes();
    tensors.open(!privateRecorder && TensorLife.capturesSites(detailed, now), TensorLife.splitsByHolder());
  }

  /**
   * The step opened at its start is ready for the job: the time since the start, spent by mltrace closing the
   * previous step and opening this one, travels in the step record ({@link Slots#STEP_OPENING_NS}) and is billed to
   * {@code mltrace}. Without it, a step's first moments were the job's own: a training thread descheduled there read
   * as data loading (4.6 ms more input time than the job measured, once in CI).
   */
  void stepOpened(long now) {
    stepOpeningNs = Math.max(0, now - stepStart);
  }

  /** Makes this a recorder that no collector sees ({@link #privateRecorder}); before its first step. */
  void privateRecorder() {
    privateRecorder = true;
  }

  /**
   * Reads the application's active trace ({@link TraceContext}) into a {@link Kind#LOOP_CONTEXT} record: at a loop's
   * start and at the thread's first step. Nothing when no reader is installed.
   */
  void readTraceContext(long now) {
    traceContextRead = true;
    if (!TraceContext.installed()) {
      return;
    }
    long[] context = TraceContext.read();
    int base = ring.claim();
    if (base < 0) {
      return;
    }
    long[] r = ring.slots();
    r[base + Slots.HEADER] = Slots.header(Kind.LOOP_CONTEXT);
    r[base + Slots.START] = now;
    r[base + Slots.END] = now;
    r[base + Slots.SPAN_ID] = 0;
    r[base + Slots.PARENT_ID] = 0;
    r[base + Slots.STEP_ID] = 0;
    for (int i = 0; i < 4; i++) {
      r[base + TraceContext.TRACE_ID_HIGH + i] = context == null ? 0 : context[i];
    }
    ring.publish(base, "loop_context");
  }

  /** Forgets an open step without recording it (a new epoch or loop began). */
  void abandonStep() {
    stepSpanId = 0;
    tensors.abandon();
    ops.endStep(false);
  }

  /** Visible for testing: the thread's warm-up steps ({@link #WARM_STEPS}) count as done. */
  void skipWarmUp() {
    ops.skipWarmUp();
  }

  /**
   * Closes the step whose last span ended at {@code now}: the step ends there. Returns when its bookkeeping (the
   * memory readings, a detailed step's tensor snapshot and creation sites) is done, where the next step opens: that
   * time is the agent's own, so it lies between the two steps, in neither. Inside the closing step no span covered it
   * (0.17 ms a detailed step on the DL4J loop, 4 % of its time, against 0.02 ms a counted step: issue 14's detailed
   * against counted steps); at the start of the next it would have begun the input gap, counted as data. What the
   * boundary does after this returns (opening the next step) is inside the next step, billed to mltrace
   * ({@link #stepOpened}).
   */
  long closeStep(long now, long stepNumber) {
    writeStepOps(now);
    TensorLife.closeStep(this, now);
    writeStepMemory(now);
    int base = ring.claim();
    if (base >= 0) {
      long[] r = ring.slots();
      r[base + Slots.HEADER] = Slots.header(Kind.STEP, 0, 0, 0);
      r[base + Slots.START] = stepStart;
      r[base + Slots.END] = now;
      r[base + Slots.SPAN_ID] = stepSpanId;
      r[base + Slots.PARENT_ID] = 0;
      r[base + Slots.STEP_ID] = stepNumber;
      r[base + Slots.FLOPS] = ops.stepFlops();
      r[base + Slots.BYTES] = 0;
      r[base + Slots.STEP_OP_COUNT] = ops.opCount();
      r[base + Slots.STEP_DETAILED] = stepDetailed ? 1 : 0;
      r[base + Slots.STEP_DROPPED] = ring.dropped();
      r[base + Slots.STEP_OPENING_NS] = stepOpeningNs;
      stepAttributes[Slots.ATTR_OPS_TIMED] = ops.opsTimed();
      System.arraycopy(stepAttributes, 0, r, base + Slots.STEP_ATTRIBUTES, Slots.STEP_ATTRIBUTE_COUNT);
      ring.publish(base, "step");
    }
    stepSpanId = 0;
    ops.endStep(true);
    loopThread = true;
    if (!privateRecorder) {
      HotPathWarmUp.startOnce(); // a training thread has closed a step: compile the boundary beside it from now on
    }
    return System.nanoTime();
  }

  /**
   * The step's own op time (ops outside any of its spans) and its estimate check, in a {@link Kind#STEP_OPS} record
   * just before the step record; nothing when there is neither.
   */
  private void writeStepOps(long now) {
    if (!ops.hasStepOps()) {
      return;
    }
    int base = claimRecord(Slots.header(Kind.STEP_OPS) | Slots.FLAG_OP_TIME, stepStart, now, stepSpanId);
    if (base < 0) {
      ops.clearStepOps();
      return;
    }
    ops.writeStepOps(ring.slots(), base);
    ring.publish(base, "step_ops");
  }

  /**
   * The step's memory facts in a {@link Kind#STEP_MEMORY} record just before the step record: the flows the hooks
   * added, the heap the thread allocated, the installed gauges' levels. Nothing when there is none.
   */
  private void writeStepMemory(long now) {
    if (!MemoryGauges.enabled()) {
      return;
    }
    long allocated = heapAllocatedAtOpen >= 0 ? MemoryGauges.threadAllocatedBytes() : -1;
    if (allocated < 0 && stepMemoryMask == 0 && !MemoryGauges.any()) {
      return;
    }
    int base = claimRecord(Slots.header(Kind.STEP_MEMORY), stepStart, now, stepSpanId);
    if (base < 0) {
      return;
    }
    long[] r = ring.slots();
    long mask = MemoryGauges.read(r, base + Slots.DIMS, privateRecorder) | stepMemoryMask;
    for (int i = 0; i < MemorySlots.COUNT; i++) {
      if ((stepMemoryMask & (1L << i)) != 0) {
        r[base + Slots.DIMS + i] = stepMemory[i];
      } else if ((mask & (1L << i)) == 0) {
        r[base + Slots.DIMS + i] = 0;
      }
    }
    if (allocated >= 0) {
      r[base + Slots.DIMS + MemorySlots.HEAP_ALLOCATED_BYTES] = Math.max(0, allocated - heapAllocatedAtOpen);
      mask |= 1L << MemorySlots.HEAP_ALLOCATED_BYTES;
    }
    if (mask == 0) {
      return; // every gauge failed: the claimed record is simply not published
    }
    r[base + Slots.FLOPS] = mask;
    ring.publish(base, "step_memory");
  }

  /**
   * Writes a {@link Kind#MEMORY_SITE} record of the open step: {@code site} created {@code count} tensors (counted
   * in the level series {@code series}) that outlived their step and are still alive now, {@code bytes} in all. For the tensor hooks, at the step's close (before
   * the step record); false when no step is open or the ring is full.
   */
  boolean writeMemorySite(String site, int series, long bytes, long count, long now) {
    return writeMemoryFact(Kind.MEMORY_SITE, site, bytes, count, series, now);
  }

  /**
   * Writes a {@link Kind#MEMORY_SITE} record of the series {@link MemorySlots#STEP_ARRAYS_ALIVE_BYTES}: the open
   * step's survivors held by {@code holder}, which the collector labels when it drains the record (a String is
   * taken as the label). False when no step is open or the ring is full.
   */
  boolean writeStepSurvivorsOf(Object holder, long bytes, long count, long now) {
    return writeMemoryFact(Kind.MEMORY_SITE, holder, bytes, count, MemorySlots.STEP_ARRAYS_ALIVE_BYTES, now);
  }

  /** Writes a {@link Kind#MEMORY_HOLDER} record into the open step; false when no step is open or the ring is full. */
  boolean writeMemoryHolder(int holder, long bytes, long count, long now) {
    return writeMemoryFact(Kind.MEMORY_HOLDER, "holder", bytes, count, holder, now);
  }

  /**
   * A memory record of the open step that is not the step's own: bytes, a count and what they belong to (a series,
   * a holder) in the slots {@link MemorySlots#SITE_BYTES}.. (the same as {@link MemorySlots#HOLDER_BYTES}..).
   */
  private boolean writeMemoryFact(int kind, Object name, long bytes, long count, long of, long now) {
    if (stepSpanId == 0) {
      return false;
    }
    int base = claimRecord(Slots.header(kind), now, now, stepSpanId);
    if (base < 0) {
      return false;
    }
    long[] r = ring.slots();
    r[base + MemorySlots.SITE_BYTES] = bytes;
    r[base + MemorySlots.SITE_COUNT] = count;
    r[base + MemorySlots.SITE_SERIES] = of;
    ring.publishNamedBy(base, name);
    return true;
  }

  /** Steps this thread has ended through {@link ModelMemory#stepEnding} (its own count: readings are spaced by it). */
  long holderSteps;
  /** When this thread last read the model's holders ({@link System#nanoTime}). */
  long holdersReadAt;

  /** Adds to a memory flow of the open step ({@link MemorySlots}); the caller checked that a step is open. */
  void addToStepMemory(int series, long delta) {
    stepMemory[series] += delta;
    stepMemoryMask |= 1L << series;
  }

  /** Sets a memory series of the open step, overriding a gauge's reading of it. */
  void setStepMemory(int series, long value) {
    stepMemory[series] = value;
    stepMemoryMask |= 1L << series;
  }

  /** The tensors created in the open step; the owning thread only. */
  StepTensors tensors() {
    return tensors;
  }

  boolean loopThread() {
    return loopThread;
  }

  void markLoopThread() {
    loopThread = true;
  }

  void enterStepEnder() {
    stepEnders++;
  }

  /** Leaves a span that ends a step; true when it was the outermost one (or the agent came in mid-call). */
  boolean exitStepEnder() {
    if (stepEnders > 0) {
      stepEnders--;
    }
    return stepEnders == 0;
  }

  int rootDepth() {
    return rootDepth;
  }

  void enterRoot() {
    rootDepth++;
  }

  boolean afterEvaluation() {
    return afterEvaluation;
  }

  /** Sets whether the roots entered now, outside any step, leave their ops and layers unrecorded. */
  void rootUndetailed(boolean undetailed) {
    rootUndetailed = undetailed;
  }

  /**
   * True inside a root outside any step that is not detailed ({@link Recorder#enterRoot}), unless GPU work is
   * traced.
   */
  boolean skipsRootOps() {
    return rootUndetailed && rootDepth > 0 && stepSpanId == 0 && !GpuCorrelation.active;
  }

  void afterEvaluation(boolean justEnded) {
    afterEvaluation = justEnded;
  }

  /** A phase of the open step's iteration began ({@link Recorder#enterPhase}). */
  boolean iterationBegan() {
    return iterationBegan && stepSpanId != 0;
  }

  /** Cleared when the next step opens; read only while a step is open ({@link #iterationBegan()}). */
  void iterationBegins() {
    iterationBegan = true;
  }

  void exitRoot() {
    if (rootDepth > 0) {
      rootDepth--;
    }
  }

  void addToStepAttribute(int index, long delta) {
    stepAttributes[index] += delta;
  }

  void setStepAttribute(int index, long value) {
    stepAttributes[index] = value;
  }

  // ---- producer: spans -------------------------------------------------------------------------------------------

  /** True when the innermost open span was opened by this object. */
  boolean innermostOwnedBy(Object owner) {
    return spans.innermostOwnedBy(owner);
  }

  /** Marks the innermost open span as opened by {@code owner} (the slot is cleared when that span closes). */
  void ownInnermost(Object owner) {
    spans.ownInnermost(owner);
  }

  /** How many spans are open on this thread. */
  int openSpans() {
    return spans.depth();
  }

  /** Opens a span; returns false (and records nothing) when nesting is too deep. */
  boolean push(long now) {
    if (!spans.push(now)) {
      return false;
    }
    ops.spanOpened(spans.depth());
    return true;
  }

  /** The time of the ops that ran directly inside the innermost open span so far, measured or estimated. */
  long opNsInInnermost() {
    return ops.opNsAt(spans.depth());
  }

  long startOfInnermost() {
    return spans.innermostStart();
  }

  long innermostSpanId() {
    return spans.innermostId();
  }

  /**
   * Closes the innermost span. Returns the ring offset of a record to fill and {@link #commit}, or -1 when nothing
   * is to be written (span too deep, an op or layer of a step that is not detailed, or ring full).
   */
  int pop(long now, int kind, int ranks0, int ranks1, int ranks2) {
    int level = spans.close();
    if (level < 0) {
      if (level == SpanStack.OVERFLOW) {
        ring.countDropped();
      }
      return -1;
    }
    // A step that is not detailed keeps its skeleton (phases, data fetches: a handful of records), not its ops or
    // layers, so that its op time can be placed inside the span that ran it.
    if (stepSpanId != 0 && !stepDetailed && (Kind.isOp(kind) || kind == Kind.LAYER)) {
      ops.fold(level + 1);
      return -1;
    }
    int base = claimRecord(Slots.header(kind, ranks0, ranks1, ranks2), spans.start(level), now, spans.id(level),
        spans.parentId(level, stepSpanId));
    if (base < 0) {
      ops.fold(level + 1);
      return -1;
    }
    // Only a span without shapes and that is no op has its dimension slots free for the op time.
    long[] r = ring.slots();
    if (ops.writeOpTime(level + 1, (ranks0 | ranks1 | ranks2) == 0 && !Kind.isOp(kind), r, base)) {
      r[base + Slots.HEADER] |= Slots.FLAG_OP_TIME;
    }
    return base;
  }

  /** Closes the innermost span like {@link #pop} but writes no record (op spans turned off). */
  int popWithoutRecord() {
    int level = spans.close();
    if (level >= 0) {
      ops.fold(level + 1);
    }
    return -1;
  }

  /**
   * Claims a record for a span that was never pushed (an estimate derived from other spans), with {@code parentId}
   * as its parent. Returns -1 when nothing is to be written; otherwise fill it and {@link #commit}.
   */
  int claimDerived(long header, long start, long end, long parentId) {
    return recordsSpans() ? claimRecord(header, start, end, spans.nextId(), parentId) : -1;
  }

  private int claimRecord(long header, long start, long end, long parentId) {
    return claimRecord(header, start, end, spans.nextId(), parentId);
  }

  /** Claims a record of the open step and fills its common slots; -1 when the ring is full. */
  private int claimRecord(long header, long start, long end, long spanId, long parentId) {
    int base = ring.claim();
    if (base < 0) {
      return -1;
    }
    long[] r = ring.slots();
    r[base + Slots.HEADER] = header;
    r[base + Slots.START] = start;
    r[base + Slots.END] = end;
    r[base + Slots.SPAN_ID] = spanId;
    r[base + Slots.PARENT_ID] = parentId;
    r[base + Slots.STEP_ID] = stepSpanId;
    r[base + Slots.FLOPS] = 0;
    r[base + Slots.BYTES] = 0;
    return base;
  }

  /** The record array, to fill a record claimed by {@link #pop} or {@link #claimDerived}. */
  long[] ring() {
    return ring.slots();
  }

  void commit(int base, String name) {
    ring.publish(base, name);
  }

  /**
   * True when a layer span would record nothing and nothing needs its id: inside a step that is not detailed, or a
   * root outside steps that is not, with no GPU correlation (whose records name the span that launched them).
   */
  boolean skipsLayers() {
    return (stepSpanId != 0 ? !stepDetailed : rootUndetailed && rootDepth > 0) && !GpuCorrelation.active;
  }

  /**
   * True when spans end up in records now: outside any step (but in an undetailed root), or inside a detailed
   * (sampled) step.
   */
  boolean recordsSpans() {
    return stepSpanId == 0 ? !(rootUndetailed && rootDepth > 0) : stepDetailed;
  }

  // ---- producer: ops (see OpPath) ---------------------------------------------------------------------------

  void enterOp() {
    ops.enter();
  }

  /**
   * Counts an op that took the span path (after {@link #pop} or {@link #popWithoutRecord}); {@code recorded}: the op
   * wrote its own record; if not, its time goes to the span that ran it.
   */
  void exitOp(String name, long elapsedNs, int kind, long flops, boolean recorded) {
    ops.exit(name, elapsedNs, kind, flops, recorded, spans.depth());
  }

  /**
   * The hook of an op that took the span path without writing a record is done: its work since {@code opEndNs} (one
   * clock read) is mltrace's, kept with the op time of the span that ran it ({@link Slots#OP_TIMING_NS}).
   */
  void opTimingDone(long opEndNs) {
    ops.timingDone(spans.depth(), opEndNs);
  }

  /** Enters an op on the counting path; false when it must take the span path ({@link #enterOp}, {@link #push}). */
  boolean enterCountedOp() {
    return ops.enterCounted();
  }

  /** Exits an op if it was entered by {@link #enterCountedOp}, counting it; false when it took the span path. */
  boolean exitCountedOp(String name, int kind, long flops) {
    return ops.exitCounted(name, kind, flops, spans.depth());
  }

  /** Reads the clock for the op being exited, before its advice reads shapes and types ({@link OpPath#markEnd}). */
  void markOpEnd() {
    ops.markEnd();
  }

  /** The end marked by {@link #markOpEnd} for the op being exited (then cleared), or now when none was. */
  long opEnd() {
    return ops.end();
  }

  // ---- producer: the backward estimate and the engine profiler -----------------------------------------------------

  long gemmFlopsSinceBackward() {
    return ops.gemmFlopsSinceBackward();
  }

  /** Forward GEMM time since the step opened or the last backward pass: measured, plus the untimed ops' estimate. */
  long gemmNsSinceBackward() {
    return ops.gemmNsSinceBackward();
  }

  /**
   * An estimated GEMM time that belongs to the innermost open span (the backward pass of a step that records no
   * op spans): placed inside it like the counted ops' time.
   */
  void estimateInInnermost(int kind, long ns) {
    ops.estimateAt(spans.depth(), kind, ns);
  }

  /** A backward pass consumed the forward window. */
  void closeBackwardWindow() {
    ops.closeBackwardWindow();
  }

  boolean stepProfiled() {
    return stepSpanId != 0 && profile.on();
  }

  /** The engine profiler's state of this thread's current step. */
  ProfiledStep profile() {
    return profile;
  }
}
