package io.mltrace.bootstrap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;

/**
 * One thread's recording state: its open spans, its current step, and a single-producer single-consumer ring of
 * fixed-size records.
 *
 * <p>WARNING: every method not marked otherwise may only be called by the owning thread (the single producer).
 * {@link #drain} may only be called by one consumer thread at a time (the collector).
 */
public final class ThreadRecorder {
  /** Deepest span nesting kept; deeper spans are counted as dropped. */
  static final int MAX_DEPTH = 64;
  /**
   * A thread's first steps time every op, counted or not: the estimates have nothing to learn from before them (and
   * the first step teaches nothing: its ops run for the first time).
   */
  static final int WARM_STEPS = 3;
  /** The op depth tracked in a bit mask ({@link #countedOpBits}): deeper counted ops take the span path. */
  private static final int MAX_COUNTED_OP_DEPTH = Long.SIZE;

  private static final VarHandle PUBLISHED;
  private static final VarHandle CONSUMED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      PUBLISHED = lookup.findVarHandle(ThreadRecorder.class, "published", long.class);
      CONSUMED = lookup.findVarHandle(ThreadRecorder.class, "consumed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Receives the records of a drain; called on the consumer thread. */
  public interface RecordVisitor {
    /**
     * One record: {@code slots[base + Slots.X]}. The name is the interned constant the advice passed.
     * The array is reused after the call returns.
     */
    void visit(ThreadRecorder source, long[] slots, int base, String name);
  }

  private final long[] ring;
  private final String[] names;
  private final int mask;
  private final WeakReference<Thread> thread;
  private final long threadId;
  private final String threadName;

  // Producer-owned; published with release semantics.
  @SuppressWarnings("unused") // accessed through PUBLISHED
  private volatile long published;
  private long written;
  private long consumedCache;
  // Consumer-owned; read by the producer to find free space.
  @SuppressWarnings("unused") // accessed through CONSUMED
  private volatile long consumed;

  // Producer-owned span stack.
  private final long[] spanStack = new long[MAX_DEPTH];
  private final long[] startStack = new long[MAX_DEPTH];
  /** The object that opened each span, where one did ({@link Recorder#enterOwnedSpan}); cleared on exit. */
  private final Object[] ownerStack = new Object[MAX_DEPTH];
  private int depth;
  private int overflowDepth;
  /** Bit d set: the span at depth d pushed a GPU correlation id, so closing it pops one (balanced per thread). */
  private long gpuPushed;
  private final long spanIdBase;
  private long spanSeq;

  // Producer-owned current step and its always-on counters.
  private long stepSpanId;
  private long stepStart;
  private boolean stepDetailed;
  private int opDepth;
  private long gemmNs;
  private long opNs;
  private long dataNs;
  private long opCount;
  private long stepFlops;
  // Forward GEMM work since the step opened or the last backward pass: the base of the backward estimate.
  private long gemmFlopsSinceBackward;
  private long gemmNsSinceBackward;
  // Engine profiling of the current step (a sampled step chosen by Recorder.setProfileEvery).
  private boolean stepProfiled;
  private long profileOriginNs;
  private long backwardSpanId;
  private long backwardStartNs;
  private long backwardEndNs;
  /** Framework-specific step attributes, written to {@link Slots#STEP_ATTRIBUTES} of the step record. */
  private final long[] stepAttributes = new long[Slots.STEP_ATTRIBUTE_COUNT];
  /** True once this thread ran a training loop (or closed a step): its loop parts may open steps. */
  private boolean loopThread;
  /** Open spans that end a step ({@link Recorder#enterStepEnd}); only the outermost one ends it. */
  private int stepEnders;
  /** Open inference roots ({@link Recorder#enterRoot}); while any is open no step opens on this thread. */
  private int rootDepth;

  // Counting: in a step that is not detailed, ops take a path without a span and without clock reads (two
  // System.nanoTime() calls cost about as much as the rest of the advice together). One outermost op in
  // opTimingEvery on average, at random gaps so that a loop's fixed op order cannot alias with the sampling, is
  // timed; the step's op time is what the timed ops took plus what the others cost at the rates they taught.
  private boolean countingStep;
  private int opTimingEvery;
  /** Bit d set: the op open at op depth d took the counting path (so its exit takes it too). */
  private long countedOpBits;
  private int opsUntilTimed = 1;
  /** When the open outermost counted op started; 0 when it is not timed. */
  private long timedOpStart;
  /** The end of the op being exited, read before its advice's own work ({@link #markOpEnd}); 0: not marked. */
  private long opEndNs;
  private long random;
  private final OpCosts opCosts = new OpCosts();
  /** Op time without op records, per open span (level 0: the step), placed inside that span by the collector. */
  private final SpanOpTime opTime = new SpanOpTime(MAX_DEPTH + 1);
  // The check of the estimates, in detailed steps: what the counting path would have estimated for the ops timed,
  // by position (checkEstimatedNs) or by rate (the untimed counts, resolved when the step closes), and what they took.
  private long checkEstimatedNs;
  private long checkMeasuredNs;
  private long checkUntimedGemmFlops;
  private long checkUntimedGemmsWithoutFlops;
  private long checkUntimedOthers;
  /** Steps this thread closed: its first step's ops run for the first time (loading, allocating) and teach nothing. */
  private long stepsClosedHere;
  /** Outermost ops of the step whose time was measured (all of them in a detailed step). */
  private long opsTimed;
  // Untimed ops: estimated by position as they close, or left for the rates (OpCosts) when no position knew them.
  private long untimedGemmEstimateNs;
  private long untimedOtherEstimateNs;
  private long untimedGemmEstimateNsSinceBackward;
  private long untimedGemmFlops;
  private long untimedGemmWithoutFlops;
  private long untimedOtherOps;
  private long untimedGemmFlopsSinceBackward;
  private long untimedGemmWithoutFlopsSinceBackward;

  /** Records lost because the ring was full or nesting was too deep. Written by the producer only. */
  private volatile long dropped;

  ThreadRecorder(Thread owner, int index, int capacityRecords) {
    int capacity = Integer.highestOneBit(Math.max(2, capacityRecords));
    this.ring = new long[capacity * Slots.WIDTH];
    this.names = new String[capacity];
    this.mask = capacity - 1;
    this.thread = new WeakReference<>(owner);
    this.threadId = owner.getId();
    this.threadName = owner.getName();
    // Span ids are unique per process: the thread's registration index in the high bits.
    this.spanIdBase = ((long) index + 1) << 40;
    this.random = (spanIdBase ^ System.nanoTime()) | 1;
  }

  public long threadId() {
    return threadId;
  }

  public String threadName() {
    return threadName;
  }

  /** True while the owning thread lives. Safe from any thread. */
  public boolean isAlive() {
    Thread t = thread.get();
    return t != null && t.isAlive();
  }

  /** Records dropped so far. Safe from any thread. */
  public long dropped() {
    return dropped;
  }

  /** Records written and not yet drained. Safe from any thread. */
  public long pending() {
    return (long) PUBLISHED.getAcquire(this) - (long) CONSUMED.getAcquire(this);
  }

  // ---- producer side -------------------------------------------------------------------------------------------

  /** The innermost open span's id, or the open step's id, or 0. Owning thread only. */
  public long currentSpanId() {
    return depth > 0 ? spanStack[depth - 1] : stepSpanId;
  }

  long nextSpanId() {
    return spanIdBase | ++spanSeq;
  }

  boolean inStep() {
    return stepSpanId != 0;
  }

  boolean stepDetailed() {
    return stepDetailed;
  }

  void openStep(long now, boolean detailed) {
    stepSpanId = nextSpanId();
    stepStart = now;
    stepDetailed = detailed;
    opTimingEvery = Recorder.opTimingEvery();
    countingStep = !detailed && opTimingEvery > 1 && stepsClosedHere >= WARM_STEPS;
    if (countingStep && opsUntilTimed >= 2 * opTimingEvery) {
      opsUntilTimed = nextTimingGap(); // op_timing_every was lowered: do not wait out a gap drawn for the old one
    }
    opsTimed = 0;
    untimedGemmEstimateNs = 0;
    untimedOtherEstimateNs = 0;
    untimedGemmEstimateNsSinceBackward = 0;
    untimedGemmFlops = 0;
    untimedGemmWithoutFlops = 0;
    untimedOtherOps = 0;
    untimedGemmFlopsSinceBackward = 0;
    untimedGemmWithoutFlopsSinceBackward = 0;
    gemmNs = 0;
    opNs = 0;
    dataNs = 0;
    opCount = 0;
    stepFlops = 0;
    gemmFlopsSinceBackward = 0;
    gemmNsSinceBackward = 0;
    java.util.Arrays.fill(stepAttributes, 0);
    opTime.clear(0);
    checkEstimatedNs = 0;
    checkMeasuredNs = 0;
    checkUntimedGemmFlops = 0;
    checkUntimedGemmsWithoutFlops = 0;
    checkUntimedOthers = 0;
  }

  /** Forgets an open step without recording it (a new epoch or loop began). */
  void abandonStep() {
    stepSpanId = 0;
    countingStep = false;
    opTime.clear(0);
  }

  /** Visible for testing: the thread's warm-up steps ({@link #WARM_STEPS}) count as done. */
  void skipWarmUp() {
    stepsClosedHere = Math.max(stepsClosedHere, WARM_STEPS);
  }

  /**
   * The step's own op time (ops outside any of its spans) and its estimate check, in a {@link Kind#STEP_OPS} record
   * just before the step record; nothing when there is neither.
   */
  private void writeStepOps(long now) {
    if (!opTime.holds(0) && checkMeasuredNs == 0) {
      return;
    }
    int base = claimRecord(Slots.header(Kind.STEP_OPS) | Slots.FLAG_OP_TIME, stepStart, now, stepSpanId);
    if (base < 0) {
      opTime.clear(0);
      return;
    }
    long[] r = ring;
    opTime.resolve(0, opCosts, r, base + Slots.OP_TIME);
    r[base + Slots.CHECK_ESTIMATED_NS] = checkEstimatedNs
        + opCosts.gemmNs(checkUntimedGemmFlops, checkUntimedGemmsWithoutFlops) + opCosts.otherNs(checkUntimedOthers);
    r[base + Slots.CHECK_MEASURED_NS] = checkMeasuredNs;
    publish(base, "step_ops");
  }

  void closeStep(long now, long stepNumber) {
    writeStepOps(now);
    int base = claim();
    if (base >= 0) {
      long[] r = ring;
      r[base + Slots.HEADER] = Slots.header(Kind.STEP, 0, 0, 0);
      r[base + Slots.START] = stepStart;
      r[base + Slots.END] = now;
      r[base + Slots.SPAN_ID] = stepSpanId;
      r[base + Slots.PARENT_ID] = 0;
      r[base + Slots.STEP_ID] = stepNumber;
      r[base + Slots.FLOPS] = stepFlops;
      r[base + Slots.BYTES] = 0;
      r[base + Slots.STEP_GEMM_NS] = gemmNs + untimedGemmEstimateNs
          + opCosts.gemmNs(untimedGemmFlops, untimedGemmWithoutFlops);
      r[base + Slots.STEP_OP_NS] = opNs + untimedOtherEstimateNs + opCosts.otherNs(untimedOtherOps);
      r[base + Slots.STEP_DATA_NS] = dataNs;
      r[base + Slots.STEP_OP_COUNT] = opCount;
      r[base + Slots.STEP_DETAILED] = stepDetailed ? 1 : 0;
      r[base + Slots.STEP_DROPPED] = dropped;
      stepAttributes[Slots.ATTR_OPS_TIMED] = opsTimed;
      System.arraycopy(stepAttributes, 0, r, base + Slots.STEP_ATTRIBUTES, Slots.STEP_ATTRIBUTE_COUNT);
      publish(base, "step");
    }
    stepSpanId = 0;
    countingStep = false;
    loopThread = true;
    stepsClosedHere++;
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

  /** True when the innermost open span was opened by this object. */
  boolean innermostOwnedBy(Object owner) {
    return depth > 0 && ownerStack[depth - 1] == owner;
  }

  /** Marks the innermost open span as opened by {@code owner} (the slot is cleared when that span closes). */
  void ownInnermost(Object owner) {
    if (depth > 0) {
      ownerStack[depth - 1] = owner;
    }
  }

  /** Opens a span; returns false (and records nothing) when nesting is too deep. */
  boolean push(long now) {
    if (depth >= MAX_DEPTH) {
      overflowDepth++;
      return false;
    }
    long id = nextSpanId();
    spanStack[depth] = id;
    startStack[depth] = now;
    if (GpuCorrelation.active) {
      GpuNative.push0(id);
      gpuPushed |= 1L << depth;
    }
    depth++;
    return true;
  }

  /**
   * Closes the innermost span. Returns the ring offset of a record to fill and {@link #commit}, or -1 when nothing
   * is to be written (span too deep, step not detailed, or ring full).
   */
  int pop(long now, int kind, int ranks0, int ranks1, int ranks2) {
    if (overflowDepth > 0) {
      overflowDepth--;
      dropped++;
      return -1;
    }
    if (depth == 0) {
      return -1; // unbalanced exit (agent attached mid-call): ignore
    }
    depth--;
    ownerStack[depth] = null;
    if (gpuPushed != 0 && (gpuPushed & (1L << depth)) != 0) {
      GpuNative.pop0();
      gpuPushed &= ~(1L << depth);
    }
    long start = startStack[depth];
    int level = depth + 1;
    if (kind == Kind.DATA && opDepth == 0) {
      dataNs += now - start;
    }
    // A step that is not detailed keeps its skeleton (phases, data fetches: a handful of records), not its ops or
    // layers, so that its op time can be placed inside the span that ran it.
    if (stepSpanId != 0 && !stepDetailed && (Kind.isOp(kind) || kind == Kind.LAYER)) {
      opTime.fold(level);
      return -1;
    }
    int base = claim();
    if (base < 0) {
      opTime.fold(level);
      return -1;
    }
    long[] r = ring;
    r[base + Slots.HEADER] = Slots.header(kind, ranks0, ranks1, ranks2);
    r[base + Slots.START] = start;
    r[base + Slots.END] = now;
    r[base + Slots.SPAN_ID] = spanStack[depth];
    r[base + Slots.PARENT_ID] = depth > 0 ? spanStack[depth - 1] : stepSpanId;
    r[base + Slots.STEP_ID] = stepSpanId;
    r[base + Slots.FLOPS] = 0;
    r[base + Slots.BYTES] = 0;
    if (opTime.holds(level)) {
      // Only a span without shapes and that is no op has its dimension slots free for the op time.
      if ((ranks0 | ranks1 | ranks2) == 0 && !Kind.isOp(kind)) {
        opTime.resolve(level, opCosts, r, base + Slots.OP_TIME);
        r[base + Slots.HEADER] |= Slots.FLAG_OP_TIME;
      } else {
        opTime.fold(level);
      }
    }
    return base;
  }

  /** Closes the innermost span like {@link #pop} but writes no record (op spans turned off). */
  int popWithoutRecord(long now, int kind) {
    if (overflowDepth > 0) {
      overflowDepth--;
      return -1;
    }
    if (depth == 0) {
      return -1;
    }
    depth--;
    ownerStack[depth] = null;
    if (gpuPushed != 0 && (gpuPushed & (1L << depth)) != 0) {
      GpuNative.pop0();
      gpuPushed &= ~(1L << depth);
    }
    if (kind == Kind.DATA && opDepth == 0) {
      dataNs += now - startStack[depth];
    }
    opTime.fold(depth + 1);
    return -1;
  }

  long startOfInnermost() {
    return depth > 0 ? startStack[depth - 1] : 0;
  }

  void enterOp() {
    opDepth++;
  }

  /**
   * Counts an op that took the span path (after {@link #pop} or {@link #popWithoutRecord}) for the step's always-on
   * counters; nested ops count once, at the outermost level. {@code recorded}: the op wrote its own record; if not,
   * its time goes to the span that ran it.
   */
  void exitOp(String name, long elapsedNs, int kind, long flops, boolean recorded) {
    if (opDepth > 0) {
      opDepth--;
    }
    if (opDepth == 0) {
      countTimedOp(name, kind == Kind.OP_GEMM, flops, elapsedNs);
      if (!recorded && stepSpanId != 0) {
        opTime.measured(depth, SpanOpTime.classOf(kind), elapsedNs);
      }
    }
    stepFlops += flops;
  }

  /** Counts an outermost op whose time was measured, and learns from it when it ran inside a step. */
  private void countTimedOp(String name, boolean gemm, long flops, long elapsedNs) {
    // Ops outside steps (a model's first forward pass while it initializes) and in the thread's first step are no
    // guide to the steps that follow.
    if (stepSpanId != 0 && stepsClosedHere > 0) {
      int position = (int) Math.min(opCount, Integer.MAX_VALUE);
      if (stepDetailed && stepsClosedHere >= WARM_STEPS) {
        checkEstimate(position, name, gemm, flops, elapsedNs);
      }
      opCosts.learn(position, name, gemm, flops, elapsedNs);
    }
    opCount++;
    opsTimed++;
    if (gemm) {
      gemmNs += elapsedNs;
      gemmNsSinceBackward += elapsedNs;
      gemmFlopsSinceBackward += flops;
    } else {
      opNs += elapsedNs;
    }
  }

  /**
   * A detailed step checks the estimates: what the counting path would have said of this op (asked before the op
   * teaches it), against what it took.
   */
  private void checkEstimate(int position, String name, boolean gemm, long flops, long elapsedNs) {
    long estimate = opCosts.recall(position, name, flops);
    if (estimate >= 0) {
      checkEstimatedNs += estimate;
    } else if (!gemm) {
      checkUntimedOthers++;
    } else if (flops > 0) {
      checkUntimedGemmFlops += flops;
    } else {
      checkUntimedGemmsWithoutFlops++;
    }
    checkMeasuredNs += elapsedNs;
  }

  /**
   * Enters an op on the counting path when the open step is not detailed (and GPU correlation, which needs each
   * op's span id, is off): no span, and a clock read only for the outermost ops chosen to be timed. Returns false
   * when the op must take the span path ({@link #enterOp} and {@link #push}).
   */
  boolean enterCountedOp() {
    int d = opDepth;
    if (!countingStep || d >= MAX_COUNTED_OP_DEPTH || GpuCorrelation.active) {
      return false;
    }
    opDepth = d + 1;
    countedOpBits |= 1L << d;
    if (d == 0 && --opsUntilTimed <= 0) {
      opsUntilTimed = nextTimingGap();
      timedOpStart = System.nanoTime();
    }
    return true;
  }

  /**
   * Exits an op if it was entered by {@link #enterCountedOp}, counting it; returns false (and does nothing) when
   * it took the span path.
   */
  boolean exitCountedOp(String name, int kind, long flops) {
    int d = opDepth - 1;
    if (d < 0 || d >= MAX_COUNTED_OP_DEPTH || (countedOpBits & (1L << d)) == 0) {
      return false;
    }
    boolean gemm = kind == Kind.OP_GEMM;
    int cls = SpanOpTime.classOf(kind);
    countedOpBits &= ~(1L << d);
    opDepth = d;
    stepFlops += flops;
    if (d != 0) {
      return true;
    }
    long start = timedOpStart;
    if (start != 0) {
      timedOpStart = 0;
      long elapsed = opEnd() - start;
      countTimedOp(name, gemm, flops, elapsed);
      opTime.measured(depth, cls, elapsed);
      return true;
    }
    int position = (int) Math.min(opCount, Integer.MAX_VALUE);
    opCount++;
    if (gemm) {
      gemmFlopsSinceBackward += flops;
    }
    long estimate = opCosts.recall(position, name, flops);
    if (estimate >= 0) {
      opTime.byPosition(depth, cls, estimate);
      if (gemm) {
        untimedGemmEstimateNs += estimate;
        untimedGemmEstimateNsSinceBackward += estimate;
      } else {
        untimedOtherEstimateNs += estimate;
      }
      return true;
    }
    opTime.untimed(depth, cls, flops);
    if (!gemm) {
      untimedOtherOps++;
    } else if (flops > 0) {
      untimedGemmFlops += flops;
      untimedGemmFlopsSinceBackward += flops;
    } else {
      untimedGemmWithoutFlops++;
      untimedGemmWithoutFlopsSinceBackward++;
    }
    return true;
  }

  /**
   * Reads the clock for the op being exited, if it is timed at all (the span path, or a timed counted op), before
   * the advice reads shapes and types: that work is the agent's, not the op's. Read back by {@link #opEnd}.
   */
  void markOpEnd() {
    int d = opDepth - 1;
    if (d < 0) {
      return;
    }
    boolean counted = d < MAX_COUNTED_OP_DEPTH && (countedOpBits & (1L << d)) != 0;
    if (!counted || d == 0 && timedOpStart != 0) {
      opEndNs = System.nanoTime();
    }
  }

  /** The end marked by {@link #markOpEnd} for the op being exited (then cleared), or now when none was. */
  long opEnd() {
    long end = opEndNs;
    if (end == 0) {
      return System.nanoTime();
    }
    opEndNs = 0;
    return end;
  }

  /** A gap from 1 to 2n-1 ops (mean n = opTimingEvery), from a xorshift generator: no fixed stride. */
  private int nextTimingGap() {
    long x = random;
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    random = x;
    long span = 2L * opTimingEvery - 1;
    return (int) ((x >>> 1) % span) + 1;
  }

  /**
   * True when a layer span would record nothing and nothing needs its id: inside a step that is not detailed, with
   * no GPU correlation (whose records name the span that launched them).
   */
  boolean skipsLayers() {
    return stepSpanId != 0 && !stepDetailed && !GpuCorrelation.active;
  }

  /** True when spans end up in records now: outside any step, or inside a detailed (sampled) step. */
  boolean recordsSpans() {
    return stepSpanId == 0 || stepDetailed;
  }

  long innermostSpanId() {
    return depth > 0 ? spanStack[depth - 1] : 0;
  }

  long gemmFlopsSinceBackward() {
    return gemmFlopsSinceBackward;
  }

  /** Forward GEMM time since the step opened or the last backward pass: measured, plus the untimed ops' estimate. */
  long gemmNsSinceBackward() {
    return gemmNsSinceBackward + untimedGemmEstimateNsSinceBackward
        + opCosts.gemmNs(untimedGemmFlopsSinceBackward, untimedGemmWithoutFlopsSinceBackward);
  }

  boolean stepProfiled() {
    return stepSpanId != 0 && stepProfiled;
  }

  void setStepProfiled(boolean profiled) {
    stepProfiled = profiled;
    profileOriginNs = 0;
    backwardSpanId = 0;
  }

  void setProfileOrigin(long nanoTime) {
    profileOriginNs = nanoTime;
  }

  long profileOriginNs() {
    return profileOriginNs;
  }

  void rememberBackward(long spanId, long start, long end) {
    backwardSpanId = spanId;
    backwardStartNs = start;
    backwardEndNs = end;
  }

  long backwardSpanId() {
    return backwardSpanId;
  }

  long backwardStartNs() {
    return backwardStartNs;
  }

  long backwardEndNs() {
    return backwardEndNs;
  }

  /** A GEMM the engine's profiler measured inside the backward pass: counts as GEMM in the step's counters. */
  void countProfiledGemm(long ns) {
    gemmNs += ns;
  }

  /**
   * An estimated GEMM time that belongs to the innermost open span (the backward pass of a step that records no
   * op spans): placed inside it like the counted ops' time.
   */
  void estimateInInnermost(int kind, long ns) {
    opTime.byPosition(depth, SpanOpTime.classOf(kind), ns);
  }

  /** A backward pass consumed the forward window; its estimated GEMM time counts as GEMM in the step. */
  void closeBackwardWindow(long estimatedGemmNs) {
    gemmFlopsSinceBackward = 0;
    gemmNsSinceBackward = 0;
    untimedGemmFlopsSinceBackward = 0;
    untimedGemmWithoutFlopsSinceBackward = 0;
    untimedGemmEstimateNsSinceBackward = 0;
    gemmNs += estimatedGemmNs;
  }

  /**
   * Claims a record for a span that was never pushed (an estimate derived from other spans), with {@code parentId}
   * as its parent. Returns -1 when nothing is to be written; otherwise fill it and {@link #commit}.
   */
  int claimDerived(long header, long start, long end, long parentId) {
    return recordsSpans() ? claimRecord(header, start, end, parentId) : -1;
  }

  /** Claims a record of a new id under {@code parentId} in the open step; -1 when the ring is full. */
  private int claimRecord(long header, long start, long end, long parentId) {
    int base = claim();
    if (base < 0) {
      return -1;
    }
    long[] r = ring;
    r[base + Slots.HEADER] = header;
    r[base + Slots.START] = start;
    r[base + Slots.END] = end;
    r[base + Slots.SPAN_ID] = nextSpanId();
    r[base + Slots.PARENT_ID] = parentId;
    r[base + Slots.STEP_ID] = stepSpanId;
    r[base + Slots.FLOPS] = 0;
    r[base + Slots.BYTES] = 0;
    return base;
  }

  long[] ring() {
    return ring;
  }

  void commit(int base, String name) {
    publish(base, name);
  }

  private int claim() {
    long w = written;
    if (w - consumedCache > mask) {
      consumedCache = (long) CONSUMED.getAcquire(this);
      if (w - consumedCache > mask) {
        dropped++;
        return -1;
      }
    }
    return (int) (w & mask) * Slots.WIDTH;
  }

  private void publish(int base, String name) {
    names[base / Slots.WIDTH] = name;
    written++;
    PUBLISHED.setRelease(this, written);
  }

  // ---- consumer side -------------------------------------------------------------------------------------------

  /** Hands every published record to the visitor, oldest first, and frees their slots. Returns the count. */
  public int drain(RecordVisitor visitor) {
    long end = (long) PUBLISHED.getAcquire(this);
    long from = (long) CONSUMED.getAcquire(this);
    int n = 0;
    for (long i = from; i < end; i++) {
      int index = (int) (i & mask);
      visitor.visit(this, ring, index * Slots.WIDTH, names[index]);
      n++;
    }
    CONSUMED.setRelease(this, end);
    return n;
  }
}
