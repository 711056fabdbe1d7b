package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The whole GPU path through the fake libcupti: JNI, CUPTI buffers, the join, the ring, the source. */
class CuptiBridgeTest {
  static final int THREADS = 4;
  static final int OPS_PER_THREAD = 1500;

  private final List<Span> spans = Collections.synchronizedList(new ArrayList<>());
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private Collector collector;
  private GpuTracing gpu;

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(new StepSink() {
      @Override
      public void onStep(Step step) {
        spans.addAll(step.spans());
      }

      @Override
      public void onSpanOutsideStep(Span span) {
        spans.add(span);
      }
    }), 5, 0, 100_000);
    collector.start();
  }

  @AfterEach
  void tearDown() {
    if (gpu != null) {
      gpu.close();
    }
    collector.close();
    Recorder.setEnabled(false);
  }

  @RepeatedTest(5) // four launching threads race the flusher: one pass can miss an ordering bug
  void everyGpuRecordReachesTheSpanThatLaunchedItWhenGpuBuffersComeFirst() throws Exception {
    FakeCupti.configure(-1, false, false, true);
    gpu = GpuTracing.start(FakeCupti.options().buffers(256, 16 << 10).flushIntervalMillis(20), log::add);
    assertTrue(gpu.available(), () -> "unavailable: " + gpu.unavailableReason());
    assertTrue(gpu.enable());
    List<ExternalActivity> activities = drainWhile(() -> launchOnThreads(THREADS, OPS_PER_THREAD));
    gpu.finish();
    gpu.source().drainTo(activities);
    collector.drainOnce(); // the launchers' last spans may still be in their rings: the collector drains every 5 ms

    int launches = THREADS * OPS_PER_THREAD * 2; // one op launch and one layer launch per iteration
    assertEquals(launches, activities.size(), "every GPU record arrives once");
    GpuStats stats = gpu.stats();
    assertEquals(0, stats.unresolved(), stats::toString);
    assertEquals(0, stats.ringFull(), stats::toString);
    assertEquals(0, stats.cuptiDropped(), stats::toString);
    assertEquals(0, stats.pendingOverflow(), stats::toString);
    assertTrue(stats.monotonicTimestamps());
    assertTrue(stats.buffersCompleted() > 50, "records crossed many buffers: " + stats.buffersCompleted());

    Map<Long, Span> byId = new HashMap<>();
    synchronized (spans) {
      for (Span s : spans) {
        byId.put(s.spanId(), s);
      }
    }
    int gemm = 0;
    for (ExternalActivity a : activities) {
      Span launcher = byId.get(a.correlatedSpanId());
      assertNotNull(launcher, () -> "no span for " + a + " id " + a.correlatedSpanId());
      assertTrue(launcher.startNs() <= a.startNs() && a.endNs() <= launcher.endNs(),
          () -> a + " outside its span " + launcher);
      // The API record is written at the call's exit, after a flush may have begun: a record missing it waits for the
      // next forced flush, and finish() flushes twice, so that none goes out without its launch.
      assertTrue(a.launchKnown(), () -> a + " has no launch");
      assertTrue(launcher.startNs() <= a.launchStartNs() && a.launchStartNs() <= a.startNs()
          && a.endNs() <= a.launchEndNs() && a.launchEndNs() <= launcher.endNs(), () -> a + " launched outside");
      if (a.category() == Category.MEMCPY) {
        assertEquals(launcher.bytes(), a.bytes(), "a copy joins the op that launched it, not a neighbour");
        assertEquals("H2D", a.detail());
      } else if (a.name().startsWith("sgemm")) {
        assertEquals(Kind.OP_GEMM, launcher.kind());
        assertEquals(Category.GEMM, a.category());
        gemm++;
      } else {
        assertEquals("elementwise_kernel", a.name());
        assertEquals(Kind.LAYER, launcher.kind(), "a launch between ops joins the enclosing layer");
        assertEquals(Category.OTHER_COMPUTE, a.category());
      }
    }
    assertEquals(THREADS * OPS_PER_THREAD / 2, gemm);
    assertTrue(log.isEmpty(), log::toString);
  }

  /**
   * Asynchronous launches scripted through the fake: each record carries its launching API call's start and end
   * exactly as the API record held them, whether the GPU buffer came before the host buffer or after.
   */
  @Test
  void everyRecordCarriesTheApiCallThatLaunchedIt() throws Exception {
    for (boolean holdHost : new boolean[] {true, false}) {
      FakeCupti.configure(-1, false, false, holdHost);
      gpu = GpuTracing.start(FakeCupti.options(), log::add);
      assertTrue(gpu.enable());
      long base = System.nanoTime() + 50_000_000;
      long[] apiStarts = new long[3];
      ThreadRecorder op = Recorder.enterOp();
      apiStarts[0] = FakeCupti.launchKernelAt("sgemm_nn", 20_000, base, 5_000);
      apiStarts[1] = FakeCupti.launchKernelAt("relu_kernel", 1_000, base + 5_010, 700);
      apiStarts[2] = FakeCupti.copyAt(2, 1 << 20, 3_000, base + 9_000, 40_000);
      Recorder.exitOp(op, Kind.OP_GEMM, "matmul", 1, 0, null, null, null);
      Thread.sleep(60); // the work ends 50 ms after it was launched; a flush before then would leave it pending
      gpu.finish();
      List<ExternalActivity> activities = new ArrayList<>();
      gpu.source().drainTo(activities);
      gpu.close();
      gpu = null;
      assertEquals(3, activities.size(), activities::toString);
      long[] apiNs = {20_000, 1_000, 3_000};
      long[] startNs = {base, base + 5_010, base + 9_000};
      for (int i = 0; i < 3; i++) {
        ExternalActivity a = activities.get(i);
        assertTrue(a.launchKnown(), a::toString);
        assertEquals(startNs[i], a.startNs());
        assertEquals(apiStarts[i], a.launchStartNs(), "hold host buffers " + holdHost);
        assertEquals(apiNs[i], a.launchEndNs() - a.launchStartNs());
      }
      assertEquals("memcpy D2H", activities.get(2).name());
      assertEquals(1 << 20, activities.get(2).bytes());
    }
    assertTrue(log.isEmpty(), log::toString);
  }

  @Test
  void recordsOutsideAnySpanAndPendingOverflowAreCountedNeverSilent() throws Exception {
    FakeCupti.configure(-1, false, false, true);
    gpu = GpuTracing.start(FakeCupti.options().buffers(64, 64 << 10).pendingCapacity(100), log::add);
    assertTrue(gpu.enable());
    // 1001 launches while every correlation record is held back: 901 overflow the 100-record pending table, and
    // the last launch, outside any span, is never joined.
    launchOnThreads(1, 500);
    FakeCupti.launchKernel("outside_kernel", 1000); // no span open: never joined
    gpu.finish();
    List<ExternalActivity> activities = new ArrayList<>();
    gpu.source().drainTo(activities);
    GpuStats stats = gpu.stats();
    assertEquals(1001, activities.size());
    assertEquals(901, stats.pendingOverflow(), stats::toString);
    assertEquals(902, stats.unresolved(), stats::toString);
    long unjoined = activities.stream().filter(a -> a.correlatedSpanId() == 0).count();
    assertEquals(902, unjoined);
    assertEquals("outside_kernel", activities.get(activities.size() - 1).name());
    assertEquals(0, activities.get(activities.size() - 1).correlatedSpanId());
  }

  @Test
  void ringOverflowAndCuptiDropsAreCounted() {
    FakeCupti.configure(-1, false, false, true); // held host buffers starve a pool of two: CUPTI drops records
    gpu = GpuTracing.start(FakeCupti.options().ringRecords(256).buffers(2, 4096), log::add);
    assertTrue(gpu.enable());
    ThreadRecorder op = Recorder.enterOp();
    for (int i = 0; i < 1000; i++) {
      FakeCupti.memset(64, 0);
    }
    Recorder.exitOp(op, Kind.OP_OTHER, "fill");
    gpu.finish();
    GpuStats stats = gpu.stats();
    assertTrue(stats.cuptiDropped() > 0, stats::toString);
    assertTrue(stats.bufferPoolEmpty() > 0, stats::toString);
    assertTrue(stats.gpuRecordsParsed() > 256 && stats.gpuRecordsParsed() <= 1000, stats::toString);
    assertEquals(256, stats.recordsEmitted(), "the ring holds 256 and nobody drained it");
    assertEquals(stats.gpuRecordsParsed() - 256, stats.ringFull(), stats::toString);
  }

  private List<ExternalActivity> drainWhile(ThrowingRunnable work) throws Exception {
    List<ExternalActivity> out = new ArrayList<>();
    AtomicBoolean done = new AtomicBoolean();
    Thread drainer = new Thread(() -> {
      while (!done.get()) {
        gpu.source().drainTo(out);
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "test-gpu-drainer");
    drainer.start();
    try {
      work.run();
    } finally {
      done.set(true);
      drainer.join();
    }
    return out;
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /**
   * Each iteration: a layer span holding a GEMM op (kernel), an elementwise launch in the layer outside any op,
   * and a copy op that launches an H2D copy whose byte count is the op's own (a unique id to check the join).
   */
  static void launchOnThreads(int threads, int iterations) throws Exception {
    AtomicReference<Throwable> error = new AtomicReference<>();
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final long base = (t + 1) * 1_000_000L;
      Thread th = new Thread(() -> {
        try {
          for (int i = 0; i < iterations; i++) {
            ThreadRecorder layer = Recorder.enterSpan();
            if (i % 2 == 0) {
              ThreadRecorder op = Recorder.enterOp();
              FakeCupti.launchKernel("sgemm_128x64_nn", 2000);
              Recorder.exitOp(op, Kind.OP_GEMM, "matmul", 1, 0, null, null, null);
            } else {
              ThreadRecorder op = Recorder.enterOp();
              long id = base + i;
              FakeCupti.copy(1, id, 1000);
              Recorder.exitOp(op, Kind.OP_COPY, "toDevice", 0, id, null, null, null);
            }
            FakeCupti.launchKernel("elementwise_kernel", 500);
            Recorder.exitSpan(layer, Kind.LAYER, "layer");
          }
          if (FakeCupti.correlationDepth() != 0) {
            throw new AssertionError("unbalanced correlation stack: " + FakeCupti.correlationDepth());
          }
        } catch (Throwable e) {
          error.set(e);
        }
      }, "test-launcher-" + t);
      all.add(th);
      th.start();
    }
    for (Thread th : all) {
      th.join();
    }
    if (error.get() != null) {
      throw new AssertionError(error.get());
    }
  }
}
