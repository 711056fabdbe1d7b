package io.mltrace.bootstrap;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The static entry points that advice calls. Every method is safe to call from any thread at any time, including
 * before the collector starts (nothing is recorded then) and never throws on the recording path.
 *
 * <p>Protocol: an {@code enter*} method returns the calling thread's {@link ThreadRecorder}, or {@code null} when
 * recording is off; the advice keeps it in a local and passes it to the matching {@code exit*} method, which does
 * nothing for {@code null}. One thread-local look-up per instrumented call.
 */
public final class Recorder {
  private static final List<ThreadRecorder> THREADS = new CopyOnWriteArrayList<>();
  private static final AtomicLong STEPS = new AtomicLong();
  /** Registrations so far: a thread's index, never reused (THREADS shrinks as ended threads are forgotten). */
  private static final AtomicInteger REGISTERED = new AtomicInteger();
  private static final ThreadLocal<ThreadRecorder> LOCAL = new ThreadLocal<ThreadRecorder>() {
    @Override
    protected ThreadRecorder initialValue() {
      ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), REGISTERED.getAndIncrement(), ringCapacity);
      THREADS.add(tr);
      return tr;
    }
  };

  /**
   * The recorder of the training thread that looked its recorder up last. A hook checks it before the thread-local:
   * the thread-local map of a training thread is shared with the framework's own thread-locals (DJL's NDScope and
   * more), and its lookups kept missing the first probe ({@code getEntryAfterMiss} was the hooks' top frame in a
   * JFR profile of the DJL job). Only loop threads are cached, so a data-loading thread that runs hooks too does
   * not evict the training thread. A plain field: a thread that reads a stale recorder compares its thread id,
   * which is final, and falls back to the thread-local.
   */
  private static ThreadRecorder lastLoopRecorder;
  private static volatile boolean enabled;
  private static volatile int ringCapacity = 8192;
  private static volatile long sampleEvery = 1;
  private static volatile long profileEvery;
  /** In steps that are not detailed, one outermost op in this many (on average) is timed; 1: every op. */
  private static volatile int opTimingEvery = 16;

  // Detail control (agent), read once per step open or once per op: see isSampled and enterOp.
  /** False in the cheapest mode: ops cost one volatile read and are neither timed nor counted. */
  private static volatile boolean opsTimed = true;
  /** False: ops of detailed steps are timed and counted but write no record of their own. */
  private static volatile boolean opSpans = true;
  /** True: every step is detailed (full mode, or tail sampling, which needs every step's spans). */
  private static volatile boolean detailAll;
  /** Head sampling by time: a step every this many ns (0: off). */
  private static volatile long sampleIntervalNanos;
  private static volatile long lastIntervalSample = Long.MIN_VALUE / 2;
  /** The last step that a rule by time (interval, window by time) detailed when it opened. */
  private static volatile long timeSampledStep = -1;
  /** An on-demand window by step number, inclusive; empty when first > last. */
  private static volatile long windowFirstStep = Long.MAX_VALUE;
  private static volatile long windowLastStep = -1;
  /** An on-demand window by time: steps opening in [start, end). */
  private static volatile long windowStartNanos = Long.MAX_VALUE;
  private static volatile long windowEndNanos = Long.MIN_VALUE;

  private Recorder() {}

  // ---- control (agent and collector) ----------------------------------------------------------------------------

  /** Turns recording on or off. Off costs one volatile read per instrumented call. */
  public static void setEnabled(boolean on) {
    enabled = on;
  }

  public static boolean isEnabled() {
    return enabled;
  }

  /** Records per thread ring (rounded down to a power of two); applies to threads that record for the first time. */
  public static void setRingCapacity(int records) {
    ringCapacity = records;
  }

  /** Detailed records for every n-th step only; the others keep their always-on counters. */
  public static void setSampleEvery(long n) {
    sampleEvery = Math.max(1, n);
  }

  /**
   * Head sampling: a detailed step every {@code every} steps (0: none by count) and one every {@code intervalNanos}
   * (0: none by time). Unlike {@link #setSampleEvery}, 0 turns count sampling off.
   */
  public static void setHeadSampling(long every, long intervalNanos) {
    sampleEvery = Math.max(0, every);
    sampleIntervalNanos = Math.max(0, intervalNanos);
  }

  /** Every step detailed, whatever the head sampling says (full mode; tail sampling). */
  public static void setDetailAll(boolean on) {
    detailAll = on;
  }

  /** Whether ops are timed and counted at all (false: the cheapest mode, step counters only). */
  public static void setOpsTimed(boolean on) {
    opsTimed = on;
  }

  /**
   * In steps that are not detailed, time one outermost op in {@code n} on average, at random, and estimate the
   * time of the others from the ns per FLOP (GEMM) and per op (others) that timed ops of this thread showed
   * recently (detailed steps time every op and teach the rates too). 1 times every op: exact counters, at the
   * cost of two clock reads per op. Applies from the next step that opens.
   */
  public static void setOpTimingEvery(int n) {
    opTimingEvery = Math.max(1, n);
  }

  static int opTimingEvery() {
    return opTimingEvery;
  }

  /** Whether ops of detailed steps write records (false: their time still counts in the step's counters). */
  public static void setOpSpans(boolean on) {
    opSpans = on;
  }

  /** Details the steps numbered {@code first} to {@code last} inclusive; {@code first > last} clears it. */
  public static void setStepWindow(long first, long last) {
    windowLastStep = -1;
    windowFirstStep = first;
    windowLastStep = last;
  }

  /** Details the steps that open at a {@link System#nanoTime} in [{@code start}, {@code end}). */
  public static void setTimeWindow(long start, long end) {
    windowEndNanos = Long.MIN_VALUE;
    windowStartNanos = start;
    windowEndNanos = end;
  }

  /**
   * Estimates the hot path's own cost on this machine, in ns per call: {@code [0]} an op recorded in a detailed
   * step (enter, exit, one record), {@code [1]} an op only counted. Runs on the caller's thread against a private
   * recorder that no collector sees; takes a few milliseconds.
   */
  public static double[] calibrate(int callsPerRound, int rounds) {
    ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), 0xfffff, 1024);
    ThreadRecorder.RecordVisitor discard = (source, slots, base, name) -> { };
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
    for (int round = 0; round < rounds; round++) {
      for (int detailed = 0; detailed < 2; detailed++) {
        tr.openStep(System.nanoTime(), detailed == 0);
        long t0 = System.nanoTime();
        for (int i = 0; i < callsPerRound; i++) {
          // What enterOp and exitOp do, on the private recorder.
          if (!tr.enterCountedOp()) {
            tr.enterOp();
            tr.push(System.nanoTime());
          }
          if (!tr.exitCountedOp("calibration", Kind.OP_OTHER, 0)) {
            long now = System.nanoTime();
            long elapsed = now - tr.startOfInnermost();
            int base = tr.pop(now, Kind.OP_OTHER, 0, 0, 0);
            tr.exitOp("calibration", elapsed, Kind.OP_OTHER, 0, base >= 0);
            if (base >= 0) {
              tr.commit(base, "calibration");
            }
          }
          if ((i & 511) == 511) {
            tr.drain(discard);
          }
        }
        double perCall = (double) (System.nanoTime() - t0) / callsPerRound;
        best[detailed] = Math.min(best[detailed], perCall);
        tr.abandonStep();
        tr.drain(discard);
      }
    }
    return best;
  }

  /** Drive the engine's own profiler in every n-th step, sampled ones only (0: never); see {@link EngineProfile}. */
  public static void setProfileEvery(long n) {
    profileEvery = Math.max(0, n);
  }

  /** Every thread that has recorded so far (the collector drains and prunes them). */
  public static List<ThreadRecorder> threads() {
    return THREADS;
  }

  /** The calling thread's recorder, created on its first call. */
  @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and the agent runs on 17
  private static ThreadRecorder local() {
    ThreadRecorder last = lastLoopRecorder;
    if (last != null && last.threadId() == Thread.currentThread().getId()) {
      return last;
    }
    ThreadRecorder tr = LOCAL.get();
    if (tr.loopThread()) {
      lastLoopRecorder = tr;
    }
    return tr;
  }

  /** Forgets a thread that has ended and been drained. */
  public static void forget(ThreadRecorder tr) {
    THREADS.remove(tr);
    if (lastLoopRecorder == tr) {
      lastLoopRecorder = null; // its ring (1.3 MB by default) is not kept alive by the cache
    }
  }

  /** Steps closed so far in this process. */
  public static long stepsClosed() {
    return STEPS.get();
  }

  // ---- hot path -------------------------------------------------------------------------------------------------

  /** Enters a span that is part of a training step (data, phase): opens the step when none is open. */
  public static ThreadRecorder enterStepPart() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    long now = System.nanoTime();
    if (!tr.inStep() && tr.rootDepth() == 0) {
      tr.openStep(now, isSampled(STEPS.get() + 1, now));
      tr.setStepProfiled(false); // only a step opened by the previous one's end can have the profiler running
    }
    tr.push(now);
    return tr;
  }

  /**
   * Enters a span whose end ends the training iteration ({@link #exitStepEnd}): like {@link #enterStepPart}, and
   * while it is open a nested one (DL4J's {@code Solver.optimize} inside a single-batch {@code fit}) ends no step:
   * the outermost one does, so that no span of the iteration ends in the next step.
   */
  public static ThreadRecorder enterStepEnd() {
    ThreadRecorder tr = enterStepPart();
    if (tr != null) {
      tr.enterStepEnder();
    }
    return tr;
  }

  /**
   * Enters a part of a training loop that may also run elsewhere (a batch fetch, which a prefetch thread runs
   * too): on a thread that runs a training loop (it called {@link #loopStart} or closed a step) it is a step part
   * and opens the step when none is open; on any other thread it is a plain span outside steps.
   */
  public static ThreadRecorder enterLoopPart() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    long now = System.nanoTime();
    if (!tr.inStep() && tr.loopThread() && tr.rootDepth() == 0) {
      tr.openStep(now, isSampled(STEPS.get() + 1, now));
      tr.setStepProfiled(false);
    }
    tr.push(now);
    return tr;
  }

  /**
   * Enters a root span outside any training step (an inference call): a step left open on this thread is
   * forgotten, and no step opens until the root exits with {@link #exitRoot}.
   */
  public static ThreadRecorder enterRoot() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    if (tr.rootDepth() == 0) {
      tr.abandonStep();
    }
    tr.enterRoot();
    tr.push(System.nanoTime());
    return tr;
  }

  /** Exits a span entered with {@link #enterRoot}. */
  public static void exitRoot(ThreadRecorder tr, int kind, String name) {
    if (tr == null) {
      return;
    }
    tr.exitRoot();
    exitSpan(tr, kind, name);
  }

  /**
   * Enters a span opened by {@code owner} (a layer), unless the innermost open span was opened by the same owner
   * (an override calling {@code super}): then it returns null and the matching exit records nothing. Like
   * {@link #enterLayer}, it opens nothing in a step that is not detailed.
   */
  public static ThreadRecorder enterOwnedSpan(Object owner) {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    if (tr.skipsLayers() || tr.innermostOwnedBy(owner)) {
      return null;
    }
    if (tr.push(System.nanoTime())) {
      tr.ownInnermost(owner);
    }
    return tr;
  }

  /** Exits a span entered with {@link #enterSpan} or {@link #enterOwnedSpan}, with up to three shapes. */
  public static void exitSpan(ThreadRecorder tr, int kind, String name, long[] a, long[] b, long[] c) {
    if (tr == null) {
      return;
    }
    int ra = rank(a, Slots.MAX_DIMS);
    int rb = rank(b, Slots.MAX_DIMS - ra);
    int rc = rank(c, Slots.MAX_DIMS - ra - rb);
    int base = tr.pop(System.nanoTime(), kind, ra, rb, rc);
    if (base >= 0) {
      writeDims(tr.ring(), base, a, ra, b, rb, c, rc);
      tr.commit(base, name);
    }
  }

  /** Sets an attribute of the thread's open step ({@code Slots.ATTR_*}); no-op when none is open. */
  public static void setStepAttribute(ThreadRecorder tr, int index, long value) {
    if (tr != null && tr.inStep()) {
      tr.setStepAttribute(index, value);
    }
  }

  /** Adds to an attribute of the calling thread's open step ({@code Slots.ATTR_*}); no-op when none is open. */
  public static void addToStepAttribute(int index, long delta) {
    if (!enabled) {
      return;
    }
    ThreadRecorder tr = local();
    if (tr.inStep()) {
      tr.addToStepAttribute(index, delta);
    }
  }

  /** Enters a span that does not open a step by itself (a layer, or an op). */
  public static ThreadRecorder enterSpan() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    tr.push(System.nanoTime());
    return tr;
  }

  /**
   * Enters a layer. In a step that is not detailed nothing opens (no clock read, no span: it would record nothing)
   * and it returns null, so the matching exit does nothing either.
   */
  public static ThreadRecorder enterLayer() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = local();
    if (tr.skipsLayers()) {
      return null;
    }
    tr.push(System.nanoTime());
    return tr;
  }

  /** Enters a tensor operation. */
  public static ThreadRecorder enterOp() {
    if (!enabled || !opsTimed) {
      return null;
    }
    ThreadRecorder tr = local();
    if (!tr.enterCountedOp()) {
      tr.enterOp();
      tr.push(System.nanoTime());
    }
    return tr;
  }

  /**
   * Enters a user method named by the {@code spans} option, recorded as a span of {@code kind}: a data fetch is a
   * loop part (it opens the step on a training thread), an op kind takes the op path (counted in steps that are not
   * detailed), anything else is a plain span that opens no step.
   */
  public static ThreadRecorder enterCustom(int kind) {
    if (kind == Kind.DATA) {
      return enterLoopPart();
    }
    return Kind.isOp(kind) ? enterOp() : enterSpan();
  }

  /** Exits a span entered with {@link #enterCustom}. */
  public static void exitCustom(ThreadRecorder tr, int kind, String name) {
    if (Kind.isOp(kind)) {
      exitOp(tr, kind, name);
    } else {
      exitSpan(tr, kind, name);
    }
  }

  /** Exits a span entered with {@link #enterStepPart} or {@link #enterSpan}. */
  public static void exitSpan(ThreadRecorder tr, int kind, String name) {
    if (tr == null) {
      return;
    }
    int base = tr.pop(System.nanoTime(), kind, 0, 0, 0);
    if (base >= 0) {
      tr.commit(base, name);
    }
  }

  /**
   * The first call of an op's exit advice: the op ends here, before the advice reads its shapes and types (which
   * would otherwise count as the op's time in the steps that read them). Safe with null.
   */
  public static void markOpEnd(ThreadRecorder tr) {
    if (tr != null) {
      tr.markOpEnd();
    }
  }

  /** Exits a non-GEMM op entered with {@link #enterOp}. */
  public static void exitOp(ThreadRecorder tr, int kind, String name) {
    if (tr == null) {
      return;
    }
    exitOp(tr, kind, name, 0, 0, null, null, null);
  }

  /** Exits a GEMM-like op entered with {@link #enterOp}; {@code form} is a {@link GemmShapes} constant. */
  public static void exitGemm(ThreadRecorder tr, String name, int form, long[] a, long[] b) {
    if (tr == null) {
      return;
    }
    exitOp(tr, Kind.OP_GEMM, name, GemmShapes.flops(form, a, b), 0, a, b, null);
  }

  /**
   * Exits an op entered with {@link #enterOp}, with its FLOPs (0 if unknown), bytes moved (0 if none) and up to
   * three input shapes (any may be null). Dimensions past {@link Slots#MAX_DIMS} in all are not recorded.
   */
  public static void exitOp(ThreadRecorder tr, int kind, String name, long flops, long bytes, long[] a, long[] b,
      long[] c) {
    exitOp(tr, kind, name, flops, bytes, a, b, c, 0);
  }

  /**
   * As {@link #exitOp(ThreadRecorder, int, String, long, long, long[], long[], long[])}, with the
   * {@link DataTypes} code of the first input (header bits 20-27; 0: not recorded).
   */
  public static void exitOp(ThreadRecorder tr, int kind, String name, long flops, long bytes, long[] a, long[] b,
      long[] c, int dtype) {
    if (tr == null || tr.exitCountedOp(name, kind, flops)) {
      return;
    }
    long now = tr.opEnd();
    long elapsed = now - tr.startOfInnermost();
    int ra = rank(a, Slots.MAX_DIMS);
    int rb = rank(b, Slots.MAX_DIMS - ra);
    int rc = rank(c, Slots.MAX_DIMS - ra - rb);
    int base = opSpans ? tr.pop(now, kind, ra, rb, rc) : tr.popWithoutRecord(now, kind);
    tr.exitOp(name, elapsed, kind, flops, base >= 0);
    if (base >= 0) {
      long[] r = tr.ring();
      r[base + Slots.HEADER] = Slots.withDtype(r[base + Slots.HEADER], dtype);
      r[base + Slots.FLOPS] = flops;
      r[base + Slots.BYTES] = bytes;
      writeDims(r, base, a, ra, b, rb, c, rc);
      tr.commit(base, name);
    }
  }

  /**
   * True when the span just entered will be written as a record (outside a step, or in a sampled step): advice
   * reads what only the record needs (shapes of non-GEMM ops, layer shapes, types) only then.
   */
  public static boolean recordsSpans(ThreadRecorder tr) {
    return tr != null && tr.recordsSpans();
  }

  /** Exits a layer entered with {@link #enterSpan}, with its input and output shapes (either may be null). */
  public static void exitLayer(ThreadRecorder tr, String name, long[] input, long[] output) {
    if (tr == null) {
      return;
    }
    int ra = rank(input, Slots.MAX_DIMS);
    int rb = rank(output, Slots.MAX_DIMS - ra);
    int base = tr.pop(System.nanoTime(), Kind.LAYER, ra, rb, 0);
    if (base >= 0) {
      writeDims(tr.ring(), base, input, ra, output, rb, null, 0);
      tr.commit(base, name);
    }
  }

  /**
   * Exits the backward pass (entered with {@link #enterSpan}) and splits it: a backward pass that is one native
   * call hides its GEMMs, so an estimated GEMM span ({@link Slots#FLAG_ESTIMATE}) is recorded as its child at its
   * end. Estimated FLOPs: twice the forward GEMM FLOPs since the step opened or the previous backward pass;
   * estimated time: those FLOPs at the throughput the forward GEMMs achieved in that window, at most the backward
   * span. The estimated time counts as GEMM in the step's counters; the step's FLOPs stay the measured ones. In a
   * step that records no op spans, the estimate is placed inside the backward span like a counted op's time.
   */
  public static void exitBackward(ThreadRecorder tr, String name, String estimateName) {
    if (tr == null) {
      return;
    }
    long now = System.nanoTime();
    long start = tr.startOfInnermost();
    long spanId = tr.innermostSpanId();
    if (tr.stepProfiled()) {
      // The engine's profiler measures this backward pass: its GEMMs are merged at the step's end, not estimated.
      int base = tr.pop(now, Kind.PHASE, 0, 0, 0);
      if (base >= 0) {
        tr.commit(base, name);
      }
      tr.rememberBackward(spanId, start, now);
      tr.closeBackwardWindow(0);
      return;
    }
    long forwardFlops = tr.gemmFlopsSinceBackward();
    long forwardNs = tr.gemmNsSinceBackward();
    long estimatedNs = 0;
    if (forwardFlops > 0 && forwardNs > 0 && spanId != 0) {
      estimatedNs = Math.min(now - start, (long) (2.0 * forwardNs));
    }
    boolean estimateAsSpan = tr.recordsSpans();
    if (estimatedNs > 0 && !estimateAsSpan) {
      tr.estimateInInnermost(Kind.OP_GEMM, estimatedNs);
    }
    int base = tr.pop(now, Kind.PHASE, 0, 0, 0);
    if (base >= 0) {
      tr.commit(base, name);
    }
    tr.closeBackwardWindow(estimatedNs);
    if (estimatedNs > 0 && estimateAsSpan) {
      int est = tr.claimDerived(Slots.header(Kind.OP_GEMM, 0, 0, 0) | Slots.FLAG_ESTIMATE, now - estimatedNs, now,
          spanId);
      if (est >= 0) {
        tr.ring()[est + Slots.FLOPS] = 2 * forwardFlops;
        tr.commit(est, estimateName);
      }
    }
  }

  /** The calling thread's recorder, or null when recording is off; opens nothing. */
  public static ThreadRecorder current() {
    return enabled ? local() : null;
  }

  /** True when the engine's profiler is to run during the thread's current step. */
  public static boolean profiling(ThreadRecorder tr) {
    return tr != null && tr.stepProfiled();
  }

  /** The advice started the engine's profiler now: its event times count from here. */
  public static void profileStarted(ThreadRecorder tr, long nanoTime) {
    if (tr != null) {
      tr.setProfileOrigin(nanoTime);
    }
  }

  /** Where the advice asks the engine to write this thread's profile (read and deleted by {@link #mergeProfile}). */
  public static String profileFile(ThreadRecorder tr) {
    return System.getProperty("java.io.tmpdir") + java.io.File.separator + "mltrace-profile-" + ProcessHandle
        .current().pid() + "-" + tr.threadId() + ".json";
  }

  /**
   * Merges the engine profile the advice just wrote into the current step (see {@link EngineProfile}); returns the
   * number of spans added. Runs on the training thread in profiled steps only.
   */
  public static int mergeProfile(ThreadRecorder tr, String file) {
    if (tr == null || !tr.stepProfiled() || tr.profileOriginNs() == 0) {
      return 0;
    }
    return EngineProfile.merge(tr, file);
  }

  private static void writeDims(long[] r, int base, long[] a, int ra, long[] b, int rb, long[] c, int rc) {
    int d = base + Slots.DIMS;
    for (int i = 0; i < ra; i++) {
      r[d++] = a[i];
    }
    for (int i = 0; i < rb; i++) {
      r[d++] = b[i];
    }
    for (int i = 0; i < rc; i++) {
      r[d++] = c[i];
    }
  }

  /** The rank to record: the array's length, capped by the room left and by the 4-bit rank field. */
  private static int rank(long[] shape, int room) {
    return shape == null ? 0 : Math.min(Math.min(shape.length, room), 15);
  }

  /**
   * Exits the span that ends a training iteration (the optimizer update), closes the step, and opens the next one
   * at the same instant so that consecutive steps tile the training loop.
   */
  public static void exitStepEnd(ThreadRecorder tr, String name) {
    if (tr == null) {
      return;
    }
    long now = System.nanoTime();
    int base = tr.pop(now, Kind.PHASE, 0, 0, 0);
    if (base >= 0) {
      tr.commit(base, name);
    }
    if (tr.exitStepEnder() && tr.inStep()) {
      long number = STEPS.incrementAndGet();
      tr.closeStep(now, number);
      tr.openStep(now, isSampled(number + 1, now));
      long every = profileEvery;
      tr.setStepProfiled(every > 0 && isSampled(number + 1) && (number + 1) % every == 0);
      GpuCorrelation.stepBoundary(number);
    }
  }

  /** A training loop (re)starts on this thread: an open step that no iteration closed is forgotten. */
  public static void loopStart() {
    if (!enabled) {
      return;
    }
    ThreadRecorder tr = local();
    tr.abandonStep();
    tr.markLoopThread();
  }

  /**
   * A training loop ended on this thread: the step opened by its last iteration, which no iteration will close,
   * is forgotten (its spans go out as spans outside any step).
   */
  public static void loopEnd() {
    if (!enabled) {
      return;
    }
    local().abandonStep();
  }

  /**
   * The sampling decision, taken once when a step opens: detailed (spans recorded) or counters only. A step is
   * detailed when every step is (full mode, tail sampling), when it falls in an on-demand window (by number or by
   * time), or by head sampling (every n-th step, or the first step after each interval).
   */
  public static boolean isSampled(long stepNumber, long now) {
    if (isSampled(stepNumber)) {
      return true;
    }
    boolean byTime = now >= windowStartNanos && now < windowEndNanos;
    long interval = sampleIntervalNanos;
    if (!byTime && interval > 0 && now - lastIntervalSample >= interval) {
      lastIntervalSample = now; // a benign race: two threads may both take the same interval's sample
      byTime = true;
    }
    if (byTime) {
      timeSampledStep = stepNumber;
    }
    return byTime;
  }

  /**
   * True when step {@code stepNumber} (1-based) records spans: by the rules that depend on the number alone (every
   * step, a window by number, every n-th step), or because the rules by time chose it when it opened. No side
   * effect, so the GPU window ({@code GpuTracing}) may ask it at each step boundary.
   */
  public static boolean isSampled(long stepNumber) {
    if (detailAll) {
      return true;
    }
    if (stepNumber >= windowFirstStep && stepNumber <= windowLastStep) {
      return true;
    }
    long every = sampleEvery;
    return every > 0 && stepNumber % every == 0 || stepNumber == timeSampledStep;
  }
}
