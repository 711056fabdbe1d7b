package io.mltrace.bootstrap;

/**
 * A thread's op accounting for its current step: what the span path measures, and the counting path's sampler and
 * estimates.
 *
 * <p>In a step that is not detailed, ops take a path without a span and without clock reads (two
 * {@code System.nanoTime()} calls cost about as much as the rest of the advice together). One outermost op in
 * {@code opTimingEvery} on average, at random gaps so that a loop's fixed op order cannot alias with the sampling,
 * is timed; the others cost what the timed ops of the same position (or, failing that, the rates, {@link OpCosts})
 * taught. Their time is kept per open span level ({@link SpanOpTime}) and written into that span's record. Every
 * n-th step ({@link Sampling#timedStepEvery(int)}) times all its ops instead, without records: the collector learns
 * from those how a counted step's phases spend what the estimates leave over.
 *
 * <p>Owning thread only; {@link ThreadRecorder} calls it with the span level the op runs at.
 */
final class OpPath {
  /**
   * A thread's first steps time every op, counted or not: the estimates have nothing to learn from before them (and
   * the first step teaches nothing: its ops run for the first time).
   */
  static final int WARM_STEPS = 3;
  /** The op depth tracked in a bit mask ({@link #countedOpBits}): deeper counted ops take the span path. */
  private static final int MAX_COUNTED_OP_DEPTH = Long.SIZE;

  private final OpCosts rates = new OpCosts();
  /** Op time without op records, per open span (level 0: the step), placed inside that span by the collector. */
  private final SpanOpTime opTime;
  private final EstimateCheck check = new EstimateCheck();
  /**
   * Per span level: the time of the outermost ops that ran directly inside the span open there, measured or
   * estimated by position (an op that only a rate can estimate adds nothing). Read by the backward estimate, which
   * must not cover the ops its span already holds ({@link #opNsAt}); reset as a span opens at the level.
   */
  private final long[] opNsInSpan;
  private final BackwardWindow backward = new BackwardWindow();

  private boolean inStep;
  /**
   * The step times every op (detailed, or a timed step): each op also checks what the counting path would have
   * estimated for it ({@link EstimateCheck}). Timed steps are the better check (warm, no records); detailed steps
   * count too, being the only ones in {@code mode=full} and when {@code timed_step_every=0}.
   */
  private boolean checkStep;
  /** Steps the thread closed: its first step's ops run for the first time (loading, allocating) and teach nothing. */
  private long stepsClosed;
  private int opDepth;
  /** Outermost ops of the step so far: the next one's position. */
  private long opCount;
  /** Outermost ops of the step whose time was measured (all of them in a detailed step). */
  private long opsTimed;
  private long stepFlops;
  private boolean countingStep;
  private int opTimingEvery;
  /** Bit d set: the op open at op depth d took the counting path (so its exit takes it too). */
  private long countedOpBits;
  private int opsUntilTimed = 1;
  /** When the open outermost counted op started; 0 when it is not timed. */
  private long timedOpStart;
  /** The end of the op being exited, read before its advice's own work ({@link #markEnd}); 0: not marked. */
  private long opEndNs;
  private long random;

  OpPath(int levels, long seed) {
    this.opTime = new SpanOpTime(levels);
    this.opNsInSpan = new long[levels];
    this.random = seed | 1;
  }

  // ---- the step --------------------------------------------------------------------------------------------------

  /**
   * @param timedEvery every n-th step of the thread (0: none) times all its ops though not detailed
   *     ({@link Sampling#timedStepEvery(int)})
   */
  void startStep(boolean detailedStep, int timingEvery, int timedEvery) {
    inStep = true;
    opTimingEvery = timingEvery;
    boolean timedStep = timedEvery > 0 && (stepsClosed + 1) % timedEvery == 0;
    countingStep = !detailedStep && timingEvery > 1 && stepsClosed >= WARM_STEPS && !timedStep;
    checkStep = (detailedStep || timedStep && timingEvery > 1) && stepsClosed >= WARM_STEPS;
    if (countingStep && opsUntilTimed >= 2 * timingEvery) {
      opsUntilTimed = nextTimingGap(); // op_timing_every was lowered: do not wait out a gap drawn for the old one
    }
    opsTimed = 0;
    opCount = 0;
    stepFlops = 0;
    backward.clear();
    opTime.clear(0);
    check.clear();
  }

  /** The step closed ({@code closed}) or was abandoned. */
  void endStep(boolean closed) {
    inStep = false;
    countingStep = false;
    if (closed) {
      stepsClosed++;
    } else {
      opTime.clear(0);
    }
  }

  void skipWarmUp() {
    stepsClosed = Math.max(stepsClosed, WARM_STEPS);
  }

  long opCount() {
    return opCount;
  }

  long opsTimed() {
    return opsTimed;
  }

  long stepFlops() {
    return stepFlops;
  }

  // ---- op time per span level ------------------------------------------------------------------------------------

  /** A span at {@code level} closes without a record of its own: its op time goes to its parent. */
  void fold(int level) {
    opTime.fold(level);
  }

  /**
   * A span at {@code level} closes into the record at {@code base}: its op time goes into the record's dimension
   * slots when they are free (no shapes, no op), else to its parent. True when the record carries it.
   */
  boolean writeOpTime(int level, boolean slotsFree, long[] r, int base) {
    if (!opTime.holds(level)) {
      return false;
    }
    if (!slotsFree) {
      opTime.fold(level);
      return false;
    }
    opTime.resolve(level, rates, r, base + Slots.OP_TIME, base + Slots.OP_TIMING_NS);
    return true;
  }

  /** True when the step has op time of its own (ops outside its spans) or an estimate check to write. */
  boolean hasStepOps() {
    return opTime.holds(0) || check.measuredNs() != 0;
  }

  /** Writes the step's own op time and the estimate check into a {@link Kind#STEP_OPS} record. */
  void writeStepOps(long[] r, int base) {
    opTime.resolve(0, rates, r, base + Slots.OP_TIME, base + Slots.OP_TIMING_NS);
    r[base + Slots.CHECK_ESTIMATED_NS] = check.estimatedNs(rates);
    r[base + Slots.CHECK_MEASURED_NS] = check.measuredNs();
  }

  void clearStepOps() {
    opTime.clear(0);
  }

  // ---- the span path ---------------------------------------------------------------------------------------------

  void enter() {
    opDepth++;
  }

  /**
   * Counts an op that took the span path; nested ops count once, at the outermost level. {@code recorded}: the op
   * wrote its own record; if not, its time goes to the span at {@code level} that ran it.
   */
  void exit(String name, long elapsedNs, int kind, long flops, boolean recorded, int level) {
    if (opDepth > 0) {
      opDepth--;
    }
    if (opDepth == 0) {
      countTimed(name, kind == Kind.OP_GEMM, flops, elapsedNs);
      addOpNs(level, elapsedNs);
      if (!recorded && inStep) {
        opTime.measured(level, SpanOpTime.classOf(kind), elapsedNs);
      }
    }
    stepFlops += flops;
  }

  /**
   * The hook of an op that took the span path without a record returns: what it did since the op ended at
   * {@code opEndNs} (learning the op's time, reading its FLOPs) is mltrace's, in the span at {@code level}. Only for an
   * outermost op in a step: a nested op's hook runs inside the op around it, whose time it is.
   */
  void timingDone(int level, long opEndNs) {
    if (inStep && opDepth == 0) {
      opTime.timing(level, System.nanoTime() - opEndNs);
    }
  }

  /** Counts an outermost op whose time was measured, and learns from it when it ran inside a step. */
  private void countTimed(String name, boolean gemm, long flops, long elapsedNs) {
    // Ops outside steps (a model's first forward pass while it initializes) and in the thread's first step are no
    // guide to the steps that follow.
    if (inStep && stepsClosed > 0) {
      int position = (int) Math.min(opCount, Integer.MAX_VALUE);
      if (checkStep) {
        // What the counting path would have said of this op, asked before the op teaches it.
        check.add(rates.recall(position, name, flops), gemm, flops, elapsedNs);
      }
      rates.learn(position, name, gemm, flops, elapsedNs);
    }
    opCount++;
    opsTimed++;
    if (gemm) {
      backward.timed(flops, elapsedNs);
    }
  }

  /** A span opened at {@code level}: it holds no op yet. */
  void spanOpened(int level) {
    if (level < opNsInSpan.length) {
      opNsInSpan[level] = 0;
    }
  }

  /** The op time the span open at {@code level} holds so far (see {@link #opNsInSpan}). */
  long opNsAt(int level) {
    return level < opNsInSpan.length ? opNsInSpan[level] : 0;
  }

  private void addOpNs(int level, long ns) {
    if (level < opNsInSpan.length) {
      opNsInSpan[level] += ns;
    }
  }

  // ---- the counting path -----------------------------------------------------------------------------------------

  /**
   * Enters an op on the counting path when the open step is not detailed (and GPU correlation, which needs each
   * op's span id, is off): no span, and a clock read only for the outermost ops chosen to be timed. False when the
   * op must take the span path.
   */
  boolean enterCounted() {
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

  /** Exits an op entered by {@link #enterCounted}, counting it; false (nothing done) when it took the span path. */
  boolean exitCounted(String name, int kind, long flops, int level) {
    int d = opDepth - 1;
    if (d < 0 || d >= MAX_COUNTED_OP_DEPTH || (countedOpBits & (1L << d)) == 0) {
      return false;
    }
    countedOpBits &= ~(1L << d);
    opDepth = d;
    stepFlops += flops;
    if (d != 0) {
      return true;
    }
    boolean gemm = kind == Kind.OP_GEMM;
    int cls = SpanOpTime.classOf(kind);
    long start = timedOpStart;
    if (start != 0) {
      timedOpStart = 0;
      long elapsed = end() - start;
      countTimed(name, gemm, flops, elapsed);
      opTime.measured(level, cls, elapsed);
      addOpNs(level, elapsed);
      opTime.timing(level, System.nanoTime() - (start + elapsed));
      return true;
    }
    int position = (int) Math.min(opCount, Integer.MAX_VALUE);
    opCount++;
    long estimate = rates.recall(position, name, flops);
    if (estimate >= 0) {
      opTime.byPosition(level, cls, estimate);
      addOpNs(level, estimate);
      if (gemm) {
        backward.estimated(flops, estimate);
      }
    } else {
      opTime.untimed(level, cls, flops);
      if (gemm) {
        backward.untimed(flops);
      }
    }
    return true;
  }

  /**
   * Reads the clock for the op being exited, if it is timed at all (the span path, or a timed counted op), before
   * the advice reads shapes and types: that work is the agent's, not the op's. Read back by {@link #end}.
   */
  void markEnd() {
    int d = opDepth - 1;
    if (d < 0) {
      return;
    }
    boolean counted = d < MAX_COUNTED_OP_DEPTH && (countedOpBits & (1L << d)) != 0;
    if (!counted || d == 0 && timedOpStart != 0) {
      opEndNs = System.nanoTime();
    }
  }

  /** The end marked by {@link #markEnd} for the op being exited (then cleared), or now when none was. */
  long end() {
    long e = opEndNs;
    if (e == 0) {
      return System.nanoTime();
    }
    opEndNs = 0;
    return e;
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

  // ---- the backward estimate -------------------------------------------------------------------------------------

  long gemmFlopsSinceBackward() {
    return backward.flops();
  }

  /** Forward GEMM time since the step opened or the last backward pass: measured, plus the untimed ops' estimate. */
  long gemmNsSinceBackward() {
    return backward.ns(rates);
  }

  /** An estimated time of {@code kind} inside the span at {@code level}, placed like a counted op's time. */
  void estimateAt(int level, int kind, long ns) {
    opTime.byPosition(level, SpanOpTime.classOf(kind), ns);
  }

  void closeBackwardWindow() {
    backward.clear();
  }
}
