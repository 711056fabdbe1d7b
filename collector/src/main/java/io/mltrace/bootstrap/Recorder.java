package io.mltrace.bootstrap;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The static entry points that advice calls. Every method is safe to call from any thread at any time, including
 * before the collector starts (nothing is recorded then) and never throws on the recording path.
 *
 * <p>Protocol: an {@code enter*} method returns the calling thread's {@link ThreadRecorder}, or {@code null} when
 * recording is off; the advice keeps it in a local and passes it to the matching {@code exit*} method, which does
 * nothing for {@code null}. One thread-local look-up per instrumented call.
 *
 * <p>Over 400 lines because it is the whole list of entry points, one per shape of advice (step parts, loop parts,
 * roots, owned spans, layers, ops, the backward pass, the step's end), each a few lines that hand over to the
 * thread's {@link ThreadRecorder}. Configuration lives elsewhere: {@link Sampling} (the detail policy),
 * {@link ThreadRegistry} (threads and rings), {@link HotPathCalibration}, {@link EngineProfile}.
 */
public final class Recorder {
  private static final AtomicLong STEPS = new AtomicLong();
  /** The recording switch: off costs one volatile read per instrumented call. Written by the agent's lifecycle. */
  private static volatile boolean enabled;

  private Recorder() {}

  /** Turns recording on or off (the agent at start and stop; tests). */
  public static void setEnabled(boolean on) {
    enabled = on;
  }

  public static boolean isEnabled() {
    return enabled;
  }

  /** Steps closed so far in this process. Any thread. */
  public static long stepsClosed() {
    return STEPS.get();
  }

  /** The calling thread's recorder, or null when recording is off; opens nothing. */
  public static ThreadRecorder current() {
    return enabled ? ThreadRegistry.local() : null;
  }

  // ---- hot path -------------------------------------------------------------------------------------------------

  /** Enters a span that is part of a training step (data, phase): opens the step when none is open. */
  public static ThreadRecorder enterStepPart() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = ThreadRegistry.local();
    long now = System.nanoTime();
    tr.afterEvaluation(false);
    if (!tr.inStep() && tr.rootDepth() == 0) {
      if (StepGate.pass()) {
        now = System.nanoTime(); // the step starts after the wait
      }
      tr.openStep(now, Sampling.isSampled(STEPS.get() + 1, now));
      tr.profile().reset(false); // only a step opened by the previous one's end can have the profiler running
      tr.stepOpened(System.nanoTime());
    }
    tr.push(now);
    return tr;
  }

  /**
   * Enters a phase of a training iteration ({@code Trainer.forward}, the loss, {@code EasyTrain.trainBatch}): like
   * {@link #enterStepPart}, and from here until the step ends a root entered on this thread (a checkpoint saved
   * between {@code backward} and the optimizer) is a span of the step, not a call between two iterations. Not for
   * spans that also run between iterations (a fetch and what it calls, such as DJL's {@code batchify}; training
   * listeners at an epoch's end): those are {@link #enterStepPart} or {@link #enterSpan}.
   */
  public static ThreadRecorder enterPhase() {
    ThreadRecorder tr = enterStepPart();
    if (tr != null) {
      tr.iterationBegins();
    }
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
    ThreadRecorder tr = ThreadRegistry.local();
    long now = System.nanoTime();
    tr.afterEvaluation(false);
    if (!tr.inStep() && tr.loopThread() && tr.rootDepth() == 0) {
      if (StepGate.pass()) {
        now = System.nanoTime();
      }
      tr.openStep(now, Sampling.isSampled(STEPS.get() + 1, now));
      tr.profile().reset(false);
      tr.stepOpened(System.nanoTime());
    }
    tr.push(now);
    return tr;
  }

  /**
   * Enters a root span outside any training step (an inference call, an evaluation pass between training steps): a
   * step left open on this thread between two iterations (no span open: the loop's own code since the last step
   * ended) is forgotten, and no step opens until the root exits with {@link #exitRoot}. Called inside a step's span
   * instead (a listener that evaluates during {@code fit}), or once a phase of the step's iteration began
   * ({@link #enterPhase}: a loop that saves a checkpoint between {@code backward} and the optimizer), it is a span of
   * that step: the step took that long. Before, that step was forgotten whole.
   */
  public static ThreadRecorder enterRoot() {
    return enabled ? enterRoot(ThreadRegistry.local()) : null;
  }

  private static ThreadRecorder enterRoot(ThreadRecorder tr) {
    if (tr.rootDepth() == 0 && !(tr.inStep() && (tr.openSpans() > 0 || tr.iterationBegan()))) {
      tr.abandonStep();
      // On a training thread, a root between steps (an evaluation pass) is detailed when the next step will be:
      // otherwise its ops and layers record nothing, as in a counted step, and only its time is kept. A thread that
      // never trained (an inference service) records every call whole.
      tr.rootUndetailed(tr.loopThread() && !Sampling.isSampled(STEPS.get() + 1));
    }
    tr.enterRoot();
    tr.push(System.nanoTime());
    return tr;
  }

  /**
   * As {@link #enterRoot}, but null (nothing recorded, the exit does nothing) inside an open span: for a call that
   * needs a root only between steps. An evaluator's update is one: DJL's training listeners make it inside
   * {@code trainBatch} every step, where its ops are that phase's as they always were, and a span there would cost
   * a record a step for nothing the step's accounting uses.
   */
  public static ThreadRecorder enterRootOutsideSpans() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = ThreadRegistry.local();
    return tr.openSpans() > 0 ? null : enterRoot(tr);
  }

  /**
   * Exits a span entered with {@link #enterRoot}. On a training loop's thread, the outermost root entered between
   * two steps (no span open around it) opens the next step where it ends, as a step's end does: the loop's code after
   * an evaluation pass (loading the next batch) is that step's input time, and the pass itself is in no step.
   */
  public static void exitRoot(ThreadRecorder tr, int kind, String name) {
    if (tr == null) {
      return;
    }
    tr.exitRoot();
    exitSpan(tr, kind, name);
    if (tr.rootDepth() == 0 && tr.loopThread() && !tr.inStep() && tr.openSpans() == 0) {
      long now = System.nanoTime();
      tr.openStep(now, Sampling.isSampled(STEPS.get() + 1, now));
      tr.profile().reset(false);
      tr.afterEvaluation(true);
      tr.stepOpened(System.nanoTime());
    }
  }

  /**
   * True when a loss computed now belongs to the evaluation pass that just ended on this thread, not to a training
   * iteration: a root ended here ({@link #exitRoot}) and no phase, data fetch or layer began since. A hand-written
   * loop computes its validation loss after {@code Trainer.evaluate} returns; counted as the next step's first phase,
   * it ended that step's input time there, and the batch loading after it was billed to no category.
   */
  public static boolean afterEvaluation() {
    return enabled && ThreadRegistry.local().afterEvaluation();
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
    ThreadRecorder tr = ThreadRegistry.local();
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
    exitSpan(tr, kind, name, a, b, c, 0);
  }

  /**
   * The end of a span whose exit hook is about to read what only its record needs (shapes, names): now when the
   * span will be written as a record, so that the reading is billed to {@code mltrace} and not to the span; 0 when it
   * will not be (no clock read). Safe with null.
   */
  public static long endOfRecordedSpan(ThreadRecorder tr) {
    return tr != null && tr.recordsSpans() ? System.nanoTime() : 0;
  }

  /**
   * As {@link #exitSpan(ThreadRecorder, int, String, long[], long[], long[])}, for a span that ended at {@code endNs}
   * ({@link #endOfRecordedSpan}; 0: it ends now): the time since then, spent reading its shapes and writing its
   * record, travels in the record ({@link Slots#recordingNs}).
   */
  public static void exitSpan(ThreadRecorder tr, int kind, String name, long[] a, long[] b, long[] c, long endNs) {
    if (tr == null) {
      return;
    }
    int ra = rank(a, Slots.MAX_DIMS);
    int rb = rank(b, Slots.MAX_DIMS - ra);
    int rc = rank(c, Slots.MAX_DIMS - ra - rb);
    int base = tr.pop(endNs != 0 ? endNs : System.nanoTime(), kind, ra, rb, rc);
    if (base >= 0) {
      long[] r = tr.ring();
      writeDims(r, base, a, ra, b, rb, c, rc);
      if (endNs != 0) {
        r[base + Slots.HEADER] = Slots.withRecording(r[base + Slots.HEADER], System.nanoTime() - endNs);
      }
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
    ThreadRecorder tr = ThreadRegistry.local();
    if (tr.inStep()) {
      tr.addToStepAttribute(index, delta);
    }
  }

  /**
   * Adds to a memory flow of the calling thread's open step ({@link MemorySlots}); no-op when none is open. For
   * hooks that do not hold the thread's recorder (an allocation inside framework code).
   */
  public static void addToStepMemory(int series, long delta) {
    if (!enabled || !MemoryGauges.enabled()) {
      return;
    }
    ThreadRecorder tr = ThreadRegistry.local();
    if (tr.inStep()) {
      tr.addToStepMemory(series, delta);
    }
  }

  /** Sets a memory series of the thread's open step, overriding a gauge; no-op when none is open. */
  public static void setStepMemory(ThreadRecorder tr, int series, long value) {
    if (tr != null && tr.inStep()) {
      tr.setStepMemory(series, value);
    }
  }

  /** Enters a span that does not open a step by itself (a layer, or an op). */
  public static ThreadRecorder enterSpan() {
    if (!enabled) {
      return null;
    }
    ThreadRecorder tr = ThreadRegistry.local();
    tr.afterEvaluation(false);
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
    ThreadRecorder tr = ThreadRegistry.local();
    if (tr.skipsLayers()) {
      return null;
    }
    tr.push(System.nanoTime());
    return tr;
  }

  /** Enters a tensor operation. */
  public static ThreadRecorder enterOp() {
    if (!enabled || !Sampling.policy().opsTimed) {
      return null;
    }
    return enterOp(ThreadRegistry.local());
  }

  /** {@link #enterOp()} on a given recorder: the op path itself, which {@link HotPathCalibration} measures. */
  static ThreadRecorder enterOp(ThreadRecorder tr) {
    if (tr.skipsRootOps()) {
      return null; // an evaluation pass between steps that is not detailed: its ops are its root's time
    }
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
    exitCustom(tr, kind, name, null);
  }

  /**
   * Exits a span entered with {@link #enterCustom}; a span that is not an op and is recorded carries the partition
   * of the Spark task running it, read beside {@code self} (the hooked method's object; null: none is read).
   */
  public static void exitCustom(ThreadRecorder tr, int kind, String name, Object self) {
    if (Kind.isOp(kind)) {
      exitOp(tr, kind, name);
    } else if (tr != null) {
      int base = tr.pop(System.nanoTime(), kind, 0, 0, 0);
      if (base >= 0) {
        long partition = StepIteration.partitionOf(self);
        if (partition >= 0) {
          long[] r = tr.ring();
          r[base + Slots.HEADER] |= Slots.FLAG_PARTITION;
          r[base + Slots.FLOPS] = partition;
        }
        tr.commit(base, name);
      }
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
    int base = Sampling.policy().opSpans ? tr.pop(now, kind, ra, rb, rc) : tr.popWithoutRecord();
    tr.exitOp(name, elapsed, kind, flops, base >= 0);
    if (base < 0) {
      // A timed op without a record (a timed step's): its hook's work since the op's end is mltrace's too.
      tr.opTimingDone(now);
    } else {
      long[] r = tr.ring();
      r[base + Slots.HEADER] = Slots.withDtype(r[base + Slots.HEADER], dtype);
      r[base + Slots.FLOPS] = flops;
      r[base + Slots.BYTES] = bytes;
      writeDims(r, base, a, ra, b, rb, c, rc);
      // Everything since the op's end (its hook reading shapes and types, the counting, this record) is mltrace's:
      // one clock read, in recorded ops only.
      r[base + Slots.HEADER] = Slots.withRecording(r[base + Slots.HEADER], System.nanoTime() - now);
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
    exitSpan(tr, Kind.LAYER, name, input, output, null, 0);
  }

  /** As {@link #exitLayer(ThreadRecorder, String, long[], long[])}, for a layer that ended at {@code endNs}. */
  public static void exitLayer(ThreadRecorder tr, String name, long[] input, long[] output, long endNs) {
    exitSpan(tr, Kind.LAYER, name, input, output, null, endNs);
  }

  /**
   * Exits the backward pass (entered with {@link #enterSpan}) and splits it: a backward pass that is one native
   * call hides its GEMMs, so an estimated GEMM span ({@link Slots#FLAG_ESTIMATE}) is recorded as its child at its
   * end. Estimated FLOPs: twice the forward GEMM FLOPs since the step opened or the previous backward pass;
   * estimated time: those FLOPs at the throughput the forward GEMMs achieved in that window, at most the backward
   * span less the ops that ran inside it. The estimated time counts as GEMM in the step's counters; the step's FLOPs
   * stay the measured ones. In a step that records no op spans, the estimate is placed inside the backward span like
   * a counted op's time.
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
      tr.profile().backward(spanId, start, now);
      tr.closeBackwardWindow();
      return;
    }
    long forwardFlops = tr.gemmFlopsSinceBackward();
    long forwardNs = tr.gemmNsSinceBackward();
    long estimatedNs = 0;
    if (forwardFlops > 0 && forwardNs > 0 && spanId != 0) {
      // At most what the span's own ops left of it: a backward pass that also runs Java-visible ops (DJL's LSTM seeds
      // its gradient with createOnesNdArray, 25 us a step) must not have those covered by the estimate too.
      long room = Math.max(0, now - start - tr.opNsInInnermost());
      estimatedNs = Math.min(room, (long) (2.0 * forwardNs));
    }
    boolean estimateAsSpan = tr.recordsSpans();
    if (estimatedNs > 0 && !estimateAsSpan) {
      tr.estimateInInnermost(Kind.OP_GEMM, estimatedNs);
    }
    int base = tr.pop(now, Kind.PHASE, 0, 0, 0);
    if (base >= 0) {
      tr.commit(base, name);
    }
    tr.closeBackwardWindow();
    if (estimatedNs > 0 && estimateAsSpan) {
      int est = tr.claimDerived(Slots.header(Kind.OP_GEMM, 0, 0, 0) | Slots.FLAG_ESTIMATE, now - estimatedNs, now,
          spanId);
      if (est >= 0) {
        tr.ring()[est + Slots.FLOPS] = 2 * forwardFlops;
        tr.commit(est, estimateName);
      }
    }
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
      long end = tr.closeStep(now, number);
      tr.openStep(end, Sampling.isSampled(number + 1, end));
      long every = Sampling.policy().profileEvery;
      tr.profile().reset(every > 0 && Sampling.isSampled(number + 1)
          && Math.floorMod(Sampling.countedNumber(number + 1), every) == 0);
      GpuCorrelation.stepBoundary(number);
      tr.stepOpened(System.nanoTime());
    }
  }

  /** A training loop (re)starts on this thread: an open step that no iteration closed is forgotten. */
  public static void loopStart() {
    if (!enabled) {
      return;
    }
    ThreadRecorder tr = ThreadRegistry.local();
    tr.abandonStep();
    tr.markLoopThread();
    tr.readTraceContext(System.nanoTime());
    tr.holderSteps = 0; // a new loop may train another model: read its holders from its first steps
  }

  /**
   * A training loop ended on this thread: the step opened by its last iteration, which no iteration will close,
   * is forgotten (its spans go out as spans outside any step).
   */
  public static void loopEnd() {
    if (!enabled) {
      return;
    }
    ThreadRegistry.local().abandonStep();
  }
}
