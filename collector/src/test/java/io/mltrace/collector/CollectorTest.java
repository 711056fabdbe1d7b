package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.GpuCorrelation;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.TraceContext;
import io.mltrace.bootstrap.ThreadRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CollectorTest {
  private final List<Step> steps = new ArrayList<>();
  private final List<Span> outside = new ArrayList<>();
  private Collector collector;
  private final AtomicLong compiledMillis = new AtomicLong();
  private static final long ITERATION_FLOPS = 2L * 64 * 128 * 784 + 2L * 64 * 10 * 128;

  private final StepSink sink = new StepSink() {
    @Override
    public void onStep(Step step) {
      steps.add(step);
    }

    @Override
    public void onSpanOutsideStep(Span span) {
      outside.add(span);
    }
  };

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(sink), 10, 0, 10_000);
  }

  @AfterEach
  void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
    ThreadRegistry.setRingCapacity(8192);
    Sampling.update(sp -> sp.withOpTimingEvery(16));
    MemoryGauges.setEnabled(true);
    MemoryGauges.clear();
  }

  /** One iteration as the DJL advice records it: data, a phase with two GEMMs and an op, the optimizer. */
  static void iteration() {
    ThreadRecorder data = Recorder.enterStepPart();
    Recorder.exitSpan(data, Kind.DATA, "data");
    ThreadRecorder phase = Recorder.enterStepPart();
    ThreadRecorder gemm = Recorder.enterOp();
    Recorder.exitGemm(gemm, "linear", GemmShapes.LINEAR, new long[] {64, 784}, new long[] {128, 784});
    ThreadRecorder op = Recorder.enterOp();
    Recorder.exitOp(op, Kind.OP_OTHER, "relu");
    ThreadRecorder gemm2 = Recorder.enterOp();
    Recorder.exitGemm(gemm2, "linear", GemmShapes.LINEAR, new long[] {64, 128}, new long[] {10, 128});
    Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
  }

  private static void runInNewThread(Runnable r) throws InterruptedException {
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        r.run();
      } catch (Throwable e) {
        error.set(e);
      }
    });
    t.start();
    t.join();
    if (error.get() != null) {
      throw new AssertionError(error.get());
    }
  }

  /**
   * The boundary's work after a step closed (here the GPU window controller, which enables CUPTI there on a GPU) is
   * mltrace's time at the next step's start, not the loop's input time: before, a training thread held up there read
   * as data loading the job never did (4.6 ms more than the job timed, once in CI).
   */
  @Test
  void theBoundarysWorkAtAStepsStartIsMltraceNotData() throws Exception {
    long boundaryMs = 30;
    long inputMs = 10;
    GpuCorrelation.setWindowControl(closed -> {
      if (closed % 2 == 1) {
        sleepMs(boundaryMs);
      }
    });
    try {
      runInNewThread(() -> {
        for (int i = 0; i < 4; i++) {
          sleepMs(inputMs); // the loop's own input work, before the step's first phase
          iteration();
        }
      });
    } finally {
      GpuCorrelation.setWindowControl(null);
    }
    collector.drainOnce();
    assertEquals(4, steps.size());
    for (Step step : steps.subList(1, 4)) {
      long mltrace = step.breakdown().ns(Category.MLTRACE);
      long data = step.breakdown().ns(Category.DATA);
      boolean heldUp = step.number() % 2 == 0; // the step after an odd one opened behind the controller's wait
      assertEquals(step.wallNs(), step.breakdown().total());
      assertTrue(data >= inputMs * 1_000_000L, step.number() + ": " + step.breakdown().asMap());
      assertTrue(data < (inputMs + boundaryMs - 1) * 1_000_000L, step.number() + ": " + step.breakdown().asMap());
      assertEquals(heldUp, mltrace >= boundaryMs * 1_000_000L, step.number() + ": " + step.breakdown().asMap());
    }
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void assemblesStepsWithNestedSpansShapesAndFlops() throws Exception {
    runInNewThread(() -> {
      for (int i = 0; i < 3; i++) {
        iteration();
      }
    });
    collector.drainOnce();
    assertEquals(3, steps.size());
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      assertTrue(step.detailed());
      assertEquals(6, step.spans().size(), "data, 2 gemm, relu, trainBatch, optimizer");
      long expectedFlops = 2L * 64 * 128 * 784 + 2L * 64 * 10 * 128;
      assertEquals(expectedFlops, step.flops());
      assertEquals(3, step.opCount());
      Span phase = find(step, "trainBatch");
      assertEquals(step.spanId(), phase.parentId());
      for (Span s : step.spans()) {
        if (s.kind() == Kind.OP_GEMM) {
          assertEquals(phase.spanId(), s.parentId());
          assertTrue(s.startNs() >= phase.startNs() && s.endNs() <= phase.endNs());
        }
        assertTrue(s.startNs() >= step.startNs() && s.endNs() <= step.endNs());
      }
      Span first = step.spans().stream().filter(s -> s.kind() == Kind.OP_GEMM).findFirst().orElseThrow();
      assertEquals(2, first.inputShapes().length);
      assertEquals(784, first.inputShapes()[0][1]);
      assertEquals(128, first.inputShapes()[1][0]);
      assertEquals(step.wallNs(), step.breakdown().total());
      if (i > 0) {
        long gap = step.startNs() - steps.get(i - 1).endNs();
        // The agent's own close of the step (its memory readings, a detailed step's snapshot) lies between steps.
        assertTrue(gap >= 0 && gap < 50_000_000L, "the next step opens where the close's bookkeeping ended: " + gap);
        assertEquals(steps.get(i - 1).number() + 1, step.number());
      }
    }
  }

  @Test
  void eachStepCarriesItsMemoryFlowsAndTheGaugesAtItsEnd() throws Exception {
    AtomicLong live = new AtomicLong(1_000_000);
    MemoryGauges.install(MemorySlots.ARRAYS_LIVE_BYTES, live::get);
    MemoryGauges.install(MemorySlots.WORKSPACE_BYTES, () -> {
      throw new IllegalStateException("a gauge that breaks");
    });
    try {
      runInNewThread(() -> {
        for (int i = 0; i < 3; i++) {
          ThreadRecorder data = Recorder.enterStepPart();
          Recorder.exitSpan(data, Kind.DATA, "data");
          Recorder.addToStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, 4096);
          Recorder.addToStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, 1000 * i);
          live.addAndGet(4096);
          ThreadRecorder opt = Recorder.enterStepPart();
          Recorder.exitStepEnd(opt, "optimizer");
        }
      });
    } finally {
      MemoryGauges.clear();
    }
    collector.drainOnce();
    assertEquals(3, steps.size());
    for (int i = 0; i < 3; i++) {
      StepMemory m = steps.get(i).memory();
      assertEquals(4096 + 1000 * i, m.value(MemorySeries.ARRAYS_CREATED_BYTES));
      assertEquals(1_000_000 + 4096 * (i + 1), m.value(MemorySeries.ARRAYS_LIVE_BYTES), "the level at the step's end");
      assertTrue(!m.has(MemorySeries.WORKSPACE_BYTES), "a gauge that throws is off, and its series absent");
      assertTrue(!m.has(MemorySeries.OFFHEAP_BYTES), "a series nobody measured is absent, not 0");
    }
  }

  /**
   * The model's holders are read at a thread's first steps, then every {@link ModelMemory#EVERY}: the steps in
   * between carry the latest reading; the optimizer's state appears at the step whose update made it; a reader that
   * throws is removed and the job's steps close as before.
   */
  /**
   * After a thread's first steps, fast steps are not read every {@link ModelMemory#EVERY}: a reading walks the model
   * (DJL: through reflection, about 0.4 ms), so the readings are also spaced in time.
   */
  @Test
  void fastStepsReadTheHoldersNoSoonerThanTheTimeFloor() throws Exception {
    AtomicLong readings = new AtomicLong();
    Object trainer = new Object();
    ModelMemory.install((o, out) -> {
      readings.incrementAndGet();
      out[2 * ModelMemory.PARAMETERS] = 4000;
      return true;
    });
    ModelMemory.minIntervalNanos(3_600_000_000_000L);
    endStepsReadingHolders(trainer, 3 * ModelMemory.EVERY);
    assertEquals(ModelMemory.FIRST_STEPS, readings.get(), "the first steps only, within the hour's floor");
    assertEquals(4000, steps.get(steps.size() - 1).memory().value(MemorySeries.PARAMETERS_BYTES),
        "the last step carries the first steps' reading");
  }

  /** Ends {@code steps} steps on a new thread, each by {@code trainer}; then removes the reader and drains. */
  private void endStepsReadingHolders(Object trainer, int steps) throws Exception {
    try {
      runInNewThread(() -> {
        for (int i = 0; i < steps; i++) {
          ThreadRecorder opt = Recorder.enterStepEnd();
          ModelMemory.stepEnding(trainer);
          Recorder.exitStepEnd(opt, "optimizer");
        }
      });
    } finally {
      ModelMemory.clear();
    }
    collector.drainOnce();
  }

  @Test
  void theModelsHoldersAreReadEverySoManyStepsAndCarriedBetween() throws Exception {
    AtomicLong readings = new AtomicLong();
    Object trainer = new Object();
    ModelMemory.install((o, out) -> {
      if (o != trainer) {
        return false;
      }
      long n = readings.incrementAndGet();
      out[2 * ModelMemory.PARAMETERS] = 4000;
      out[2 * ModelMemory.PARAMETERS + 1] = 2;
      out[2 * ModelMemory.GRADIENTS] = 4000;
      out[2 * ModelMemory.OPTIMIZER_STATE] = n == 1 ? 0 : 8000 * n; // made by the first update, then grows
      return true;
    });
    int steps = ModelMemory.EVERY + 6;
    ModelMemory.minIntervalNanos(0); // by steps alone here; the time floor has its own test above
    endStepsReadingHolders(trainer, steps);
    assertEquals(ModelMemory.FIRST_STEPS + 1, readings.get(), "steps 1-3, then step 64");
    assertEquals(steps, this.steps.size());
    for (int i = 0; i < steps; i++) {
      StepMemory m = this.steps.get(i).memory();
      int stepOfThread = i + 1;
      long expectedReading = stepOfThread <= ModelMemory.FIRST_STEPS ? stepOfThread
          : stepOfThread < ModelMemory.EVERY ? ModelMemory.FIRST_STEPS : ModelMemory.FIRST_STEPS + 1;
      assertEquals(4000, m.value(MemorySeries.PARAMETERS_BYTES), "step " + stepOfThread);
      assertEquals(4000, m.value(MemorySeries.GRADIENTS_BYTES));
      assertEquals(expectedReading == 1 ? 0 : 8000 * expectedReading, m.value(MemorySeries.OPTIMIZER_STATE_BYTES),
          "step " + stepOfThread + " carries reading " + expectedReading);
    }

    // A reader that throws: one line, removed; the steps close and carry no holder of their own.
    ModelMemory.install((o, out) -> {
      throw new IllegalStateException("broken reader");
    });
    this.steps.clear();
    runInNewThread(() -> {
      for (int i = 0; i < 3; i++) {
        ThreadRecorder opt = Recorder.enterStepEnd();
        ModelMemory.stepEnding(trainer);
        Recorder.exitStepEnd(opt, "optimizer");
      }
    });
    ModelMemory.clear();
    collector.drainOnce();
    assertEquals(3, this.steps.size());
    assertTrue(this.steps.stream().noneMatch(st -> st.memory().has(MemorySeries.PARAMETERS_BYTES)));
  }

  @Test
  void aGaugeThatSkipsAStepLeavesItsSeriesOutOfThatStepOnly() throws Exception {
    AtomicLong calls = new AtomicLong();
    // Every other step, as a throttled gauge (the resident memory) does between its readings.
    MemoryGauges.install(MemorySlots.PHYSICAL_BYTES,
        () -> calls.incrementAndGet() % 2 == 0 ? MemoryGauges.NOT_MEASURED : 5_000_000 + calls.get());
    runInNewThread(() -> {
      for (int i = 0; i < 4; i++) {
        Recorder.exitStepEnd(Recorder.enterStepPart(), "optimizer");
      }
    });
    collector.drainOnce(); // the gauges go in tearDown
    assertEquals(4, steps.size());
    for (int i = 0; i < 4; i++) {
      StepMemory m = steps.get(i).memory();
      assertEquals(i % 2 == 0, m.has(MemorySeries.PHYSICAL_BYTES), "step " + i + ": " + m.values());
      if (i % 2 == 0) {
        assertEquals(5_000_001 + i, m.value(MemorySeries.PHYSICAL_BYTES));
      }
    }
  }

  @Test
  void memoryOffLeavesEveryStepWithoutMemory() throws Exception {
    MemoryGauges.install(MemorySlots.ARRAYS_LIVE_BYTES, () -> 1234);
    MemoryGauges.setEnabled(false);
    runInNewThread(() -> {
      ThreadRecorder opt = Recorder.enterStepPart();
      Recorder.addToStepMemory(MemorySlots.WORKSPACE_ALLOC_BYTES, 4096);
      Recorder.exitStepEnd(opt, "optimizer");
    });
    collector.drainOnce(); // memory is on again in tearDown
    assertEquals(1, steps.size());
    assertTrue(steps.get(0).memory().isEmpty(), steps.get(0).memory().values()::toString);
  }

  @Test
  void stepsJoinTheApplicationsTraceThatWasCurrentWhenTheirLoopStarted() throws Exception {
    AtomicReference<long[]> current = new AtomicReference<>(new long[] {0x0af7651916cd43ddL, 0x8448eb211c80319cL,
        0xb7ad6b7169203331L, 1});
    TraceContext.installReader(current::get);
    try {
      runInNewThread(() -> {
        Recorder.loopStart();
        iteration();
        iteration();
        current.set(null); // the next loop runs outside any application span
        Recorder.loopStart();
        iteration();
      });
    } finally {
      TraceContext.installReader(null);
    }
    collector.drainOnce();
    assertEquals(3, steps.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(new TraceParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", true),
          steps.get(i).traceParent());
    }
    assertEquals(null, steps.get(2).traceParent(), "a loop started outside a span starts its own traces");
  }

  @Test
  void unsampledStepsKeepCountersButNoSpans() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(1_000_000_000L));
    Sampling.update(sp -> sp.withOpTimingEvery(1)); // every op timed: exact counters (estimates have their own test, OpTimingTest)
    runInNewThread(() -> {
      for (int i = 0; i < 2; i++) {
        iteration();
      }
    });
    collector.drainOnce();
    assertEquals(2, steps.size());
    for (Step step : steps) {
      assertTrue(!step.detailed());
      assertTrue(step.spans().isEmpty());
      assertEquals(3, step.opCount());
      assertEquals(step.wallNs(), step.breakdown().total());
      assertTrue(step.breakdown().ns(Category.GEMM) > 0);
    }
  }

  @Test
  void spansOutsideAnyStepGoOutAsSuch() throws Exception {
    runInNewThread(() -> {
      ThreadRecorder op = Recorder.enterOp();
      Recorder.exitGemm(op, "matmul", GemmShapes.MATMUL, new long[] {2, 3}, new long[] {3, 4});
    });
    collector.drainOnce();
    assertEquals(0, steps.size());
    assertEquals(1, outside.size());
    assertEquals(48, outside.get(0).flops());
  }

  @Test
  void fullRingDropsAndCountsWithoutBlocking() throws Exception {
    ThreadRegistry.setRingCapacity(16);
    runInNewThread(() -> {
      for (int i = 0; i < 100; i++) {
        ThreadRecorder op = Recorder.enterOp();
        Recorder.exitOp(op, Kind.OP_OTHER, "add");
      }
    });
    long dropped = collector.stats().droppedRecords();
    assertEquals(100 - 16, dropped);
    collector.drainOnce();
    assertEquals(16, outside.size());
  }

  @Test
  void aThrowingSinkIsCountedAndTheOthersStillReceive() throws Exception {
    collector.close();
    StepSink bad = step -> {
      throw new IllegalStateException("boom");
    };
    collector = Collector.create(List.of(bad, sink), 10, 0, 10_000);
    runInNewThread(CollectorTest::iteration);
    collector.drainOnce();
    assertEquals(1, steps.size());
    assertEquals(1, collector.stats().sinkErrors());
  }

  @Test
  void disabledRecorderRecordsNothing() throws Exception {
    Recorder.setEnabled(false);
    runInNewThread(CollectorTest::iteration);
    collector.drainOnce();
    assertTrue(steps.isEmpty() && outside.isEmpty());
  }

  private static Span find(Step step, String name) {
    return step.spans().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  // ---- the JIT hold (JitYield): nothing reaches the sinks while it holds, the rings are emptied all the same, and
  // once it ends every step comes out as it would have, in order.

  /** Compilers that are always busy: each look finds a second more of compiling. */
  private JitYield busyHold(int maxRecords) {
    return new JitYield(3_600_000_000_000L, maxRecords, () -> compiledMillis.addAndGet(1000));
  }

  private static void iterations(int n) throws InterruptedException {
    runInNewThread(() -> {
      for (int i = 0; i < n; i++) {
        iteration();
      }
    });
  }

  @Test
  void heldStepsComeOutWhenTheHoldEndsInOrderAndWhole() throws Exception {
    // A ring smaller than what the held steps write: the hold must keep emptying it, or records would be dropped.
    ThreadRegistry.setRingCapacity(16);
    int cap = 200;
    collector.yieldToJit(busyHold(cap));
    int n = 0;
    for (int round = 0; round < 5; round++) {
      iterations(2);
      n += 2;
      collector.drainOnce();
      assertEquals(0, steps.size(), "held: no step reaches the sinks (round " + round + ")");
    }
    assertEquals("", collector.jitYieldEndedBy());
    // more records than the cap: the hold ends, and everything held comes out first
    while (steps.isEmpty()) {
      iterations(2);
      n += 2;
      collector.drainOnce();
    }
    assertEquals("cap", collector.jitYieldEndedBy());
    assertEquals(n, steps.size(), "every step, none lost");
    assertEquals(0, collector.stats().droppedRecords(), "the 16-record rings never overflowed");
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      assertEquals(ITERATION_FLOPS, step.flops(), "step " + i + " read whole from its copied records");
      assertEquals(6, step.spans().size(), "data, 2 gemm, relu, trainBatch, optimizer");
      if (i > 0 && step.threadId() == steps.get(i - 1).threadId()) {
        assertTrue(step.number() > steps.get(i - 1).number(), "each thread's steps in order");
      }
    }
  }

  @Test
  void closingEndsTheHoldAndDeliversWhatItHeld() throws Exception {
    collector.yieldToJit(busyHold(1_000_000));
    iterations(3);
    collector.drainOnce();
    assertEquals(0, steps.size());
    collector.close();
    assertEquals(3, steps.size());
    assertEquals("end", collector.jitYieldEndedBy());
    for (Step step : steps) {
      assertEquals(ITERATION_FLOPS, step.flops());
    }
  }

  @Test
  void theJobsEndEndsTheHoldBeforeTheExitsDrain() throws Exception {
    collector.yieldToJit(busyHold(1_000_000));
    List<String> told = new ArrayList<>();
    collector.onJitYieldEnd(told::add);
    collector.drainOnce();
    assertEquals(List.of(), told, "not before the first records, when the hold has not begun");
    iterations(3);
    collector.drainOnce();
    assertEquals(0, steps.size());
    assertEquals(List.of(), told, "not while it holds");
    collector.endJitYield(); // main returned, or System.exit: the exit paths' drain must hand out every step
    collector.drainOnce();
    assertEquals(3, steps.size());
    assertEquals("end", collector.jitYieldEndedBy());
    iterations(1);
    collector.drainOnce();
    assertEquals(1, told.size(), "told once: " + told);
    assertTrue(told.get(0).matches("end, [1-9][0-9]* records held"), told::toString);
  }

  @Test
  void aListenerThatThrowsEndsNothingButItsOwnLine() throws Exception {
    collector.yieldToJit(busyHold(1_000_000));
    collector.onJitYieldEnd(how -> {
      throw new IllegalStateException("a broken start-up log");
    });
    iterations(2);
    collector.drainOnce();
    collector.endJitYield();
    collector.drainOnce();
    assertEquals(2, steps.size(), "the held steps come out all the same");
  }

  @Test
  void quietCompilersEndTheHoldAndTheAnalysisRunsAsBefore() throws Exception {
    // compilers that never compile: the hold ends after two quiet windows (half a second)
    collector.yieldToJit(new JitYield(3_600_000_000_000L, 1_000_000, compiledMillis::get));
    iterations(3);
    collector.drainOnce();
    assertEquals(0, steps.size(), "the hold starts with the first records");
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (steps.size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      collector.drainOnce();
    }
    assertEquals("quiet", collector.jitYieldEndedBy());
    assertEquals(3, steps.size());
    iterations(2);
    collector.drainOnce();
    assertEquals(5, steps.size(), "after the hold, each drain delivers at once");
  }
}
