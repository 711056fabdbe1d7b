package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Steps wait for their sources, and JVM and GPU activities land in the right step and category. */
class ActivitySourceMergeTest {
  /** A source whose activities and watermark the test sets by hand. */
  static final class ScriptedSource implements ActivitySource {
    final List<ExternalActivity> ready = new ArrayList<>();
    long watermark;

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public void drainTo(List<ExternalActivity> out) {
      out.addAll(ready);
      ready.clear();
    }

    @Override
    public long completeUpToNs() {
      return watermark;
    }
  }

  private final List<Step> steps = new ArrayList<>();
  private final ScriptedSource source = new ScriptedSource();
  private Collector collector;
  private long threadId;
  private final AtomicLong gemmStart = new AtomicLong();
  private final AtomicLong gemmEnd = new AtomicLong();
  private final AtomicLong gemmSpan = new AtomicLong();

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(steps::add), 10, 0, 10_000);
    collector.addSource(source);
    collector.setCloseWaitMillis(0);
  }

  @AfterEach
  void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  /** One step: a phase holding a 2 ms GEMM, then the optimizer. */
  private void oneStep() throws InterruptedException {
    Thread t = new Thread(() -> {
      ThreadRecorder phase = Recorder.enterStepPart();
      ThreadRecorder op = Recorder.enterOp();
      gemmSpan.set(op.currentSpanId());
      gemmStart.set(System.nanoTime());
      busy(2_000_000);
      gemmEnd.set(System.nanoTime());
      Recorder.exitGemm(op, "linear", GemmShapes.LINEAR, new long[] {4, 4}, new long[] {4, 4});
      busy(1_000_000);
      Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
      ThreadRecorder opt = Recorder.enterStepPart();
      Recorder.exitStepEnd(opt, "optimizer");
    });
    t.start();
    t.join();
    threadId = t.getId();
  }

  private static void busy(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  @Test
  void aStepWaitsUntilTheSourceHasPassedItsEnd() throws Exception {
    source.watermark = 0;
    oneStep();
    collector.drainOnce();
    assertTrue(steps.isEmpty(), "held while the source lags");
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    assertEquals(1, steps.size());
  }

  @Test
  void theStepsLastHeapAfterGcIsItsHeapAfterGcBytesAndNoEventOfTheStep() throws Exception {
    oneStep();
    long t = gemmStart.get();
    source.ready.add(ExternalActivity.heapAfterGc(t + 100_000, 70_000_000));
    source.ready.add(ExternalActivity.heapAfterGc(t + 900_000, 50_000_000)); // the step's last collection
    source.ready.add(ExternalActivity.heapAfterGc(System.nanoTime() + 1_000_000_000L, 99)); // after the step
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    Step step = steps.get(0);
    assertEquals(50_000_000, step.memory().value(MemorySeries.HEAP_AFTER_GC_BYTES));
    assertTrue(step.external().isEmpty(), "a heap reading is no activity of the step: " + step.external());
    assertEquals(step.wallNs(), step.breakdown().total());
  }

  @Test
  void aStepWithoutACollectionHasNoHeapAfterGc() throws Exception {
    oneStep();
    source.ready.add(ExternalActivity.heapAfterGc(gemmStart.get() - 1_000_000_000L, 1234)); // before the step
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    assertTrue(!steps.get(0).memory().has(MemorySeries.HEAP_AFTER_GC_BYTES), steps.get(0).memory().values()::toString);
  }

  @Test
  void aGcPauseInsideAnOpIsGcAndTheRestOfTheOpStaysGemm() throws Exception {
    oneStep();
    long pauseStart = gemmStart.get() + 500_000;
    long pauseEnd = pauseStart + 700_000;
    source.ready.add(new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "Pause Young",
        ExternalActivity.ALL_THREADS, pauseStart, pauseEnd, 0, -1, -1, 0, null));
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    Step step = steps.get(0);
    assertEquals(700_000, step.breakdown().ns(Category.GC));
    Span gemm = step.spans().stream().filter(s -> s.kind() == Kind.OP_GEMM).findFirst().orElseThrow();
    assertEquals(gemm.durationNs() - 700_000, step.breakdown().ns(Category.GEMM));
    assertEquals(step.wallNs(), step.breakdown().total());
    assertEquals(1, step.external().size());
  }

  @Test
  void samplesInFrameworkTimeNameTheirTopFrames() throws Exception {
    oneStep();
    Step pending;
    long inFramework = gemmEnd.get() + 300_000;
    source.ready.add(sample(inFramework, "com.example.Listener.spin"));
    source.ready.add(sample(inFramework + 1000, "com.example.Listener.spin"));
    source.ready.add(sample(gemmStart.get() + 1000, "inside.the.Gemm"));
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    pending = steps.get(0);
    assertEquals(2, pending.hostFrames().get("com.example.Listener.spin"));
    assertTrue(!pending.hostFrames().containsKey("inside.the.Gemm"), "samples inside ops do not explain framework");
  }

  @Test
  void gpuRecordsJoinTheStepOfTheSpanThatLaunchedThem() throws Exception {
    source.watermark = 0;
    oneStep();
    collector.drainOnce();
    assertTrue(steps.isEmpty());
    source.ready.add(new ExternalActivity(ExternalActivity.Origin.GPU, Category.GEMM, "sgemm_kernel", 0,
        gemmStart.get() + 10, gemmStart.get() + 100, gemmSpan.get(), 0, 7, 0, null));
    source.ready.add(new ExternalActivity(ExternalActivity.Origin.GPU, Category.GEMM, "other_span_kernel", 0,
        gemmStart.get() + 10, gemmStart.get() + 100, 12345, 0, 7, 0, null));
    source.watermark = Long.MAX_VALUE;
    collector.drainOnce();
    assertEquals(1, steps.size());
    assertEquals(1, steps.get(0).external().size());
    assertEquals("sgemm_kernel", steps.get(0).external().get(0).name());
  }

  @Test
  void aLaggingSourceDelaysAStepOnlyUpToTheBound() throws Exception {
    collector.close();
    collector = Collector.create(List.of(steps::add), 10, 0, 10_000);
    ScriptedSource stuck = new ScriptedSource();
    collector.addSource(stuck);
    collector.setCloseWaitMillis(0);
    oneStep();
    collector.drainOnce();
    assertTrue(steps.isEmpty());
    Thread.sleep(5100);
    collector.drainOnce();
    assertEquals(1, steps.size());
    assertEquals(1, collector.stats().stepsClosedBeforeSources());
  }

  private ExternalActivity sample(long t, String frame) {
    return new ExternalActivity(ExternalActivity.Origin.JVM, null, ExternalActivity.SAMPLE, threadId, t, t, 0, -1,
        -1, 0, frame);
  }
}
