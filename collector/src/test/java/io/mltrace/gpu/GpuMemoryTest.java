package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Leak;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.MemorySite;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Device memory per step through the whole path: the fake libcupti's MEMORY2 records (the real Memory4 layout),
 * the bridge's parse and join, the ring, the source, and the collector's ledger, in sampled and counted steps.
 */
class GpuMemoryTest extends FakeGpuStepsTest {
  static final long WEIGHTS = 8L << 20;
  static final long LEAK = 1L << 20;
  static final long SCRATCH = 4096;

  /**
   * One step: op {@code matmul} allocates a leaking buffer and a scratch buffer, op {@code relu} frees the scratch;
   * pinned host memory is allocated and freed too (not device memory). Addresses are unique per step.
   */
  private static void step(int i) {
    step(i, true);
  }

  private static void step(int i, boolean leak) {
    ThreadRecorder phase = Recorder.enterStepPart();
    ThreadRecorder matmul = Recorder.enterOp();
    if (leak) {
      FakeCupti.allocate(0x7f00_0000_0000L + i * LEAK, LEAK);
    }
    FakeCupti.allocate(0x7e00_0000_0000L + i * SCRATCH, SCRATCH);
    Recorder.exitOp(matmul, Kind.OP_GEMM, "matmul", 0, 0, null, null, null);
    ThreadRecorder relu = Recorder.enterOp();
    FakeCupti.free(0x7e00_0000_0000L + i * SCRATCH, SCRATCH);
    FakeCupti.memory(1, FakeCupti.MEMORY_PINNED, 0x5000_0000L + i, 512);
    FakeCupti.memory(2, FakeCupti.MEMORY_PINNED, 0x5000_0000L + i, 512);
    Recorder.exitOp(relu, Kind.OP_OTHER, "relu", 0, 0, null, null, null);
    Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
  }

  /** {@code n} steps, every one sampled, with memory records on; every record delivered when it returns. */
  private void runSampledSteps(int n, boolean leak) {
    Sampling.update(sp -> sp.withSampleEvery(1));
    FakeCupti.configure(-1, false, false, false);
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    assertTrue(gpu.trackMemory(), log::toString);
    gpu.followSampledSteps();
    for (int i = 0; i < n; i++) {
      step(i, leak);
    }
    gpu.finish();
    collector.close();
  }

  @Test
  void allocationsAndReleasesPerStepAreExactInSampledAndCountedSteps() {
    Sampling.update(sp -> sp.withSampleEvery(2));
    FakeCupti.configure(-1, false, false, true); // host buffers held back: memory records arrive before their joins
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    assertTrue(gpu.trackMemory(), log::toString);
    gpu.followSampledSteps();
    FakeCupti.allocate(0x1000_0000L, WEIGHTS); // the model's weights, before the first step
    FakeCupti.free(0x2000_0000L, 777); // memory allocated before tracing began
    int n = 12;
    for (int i = 0; i < n; i++) {
      step(i);
    }
    gpu.finish();
    collector.close();

    assertEquals(n, steps.size());
    int sampledSoFar = 0;
    for (int i = 0; i < n; i++) {
      Step s = steps.get(i);
      StepMemory m = s.memory();
      String at = "step " + s.number() + " " + m.values();
      assertEquals(LEAK + SCRATCH, m.value(MemorySeries.GPU_ALLOC_BYTES), at);
      assertEquals(2, m.value(MemorySeries.GPU_ALLOCS), at);
      assertEquals(SCRATCH, m.value(MemorySeries.GPU_FREE_BYTES), at);
      assertEquals(1, m.value(MemorySeries.GPU_FREES), at);
      assertEquals(WEIGHTS + (i + 1) * LEAK, m.value(MemorySeries.GPU_LIVE_BYTES), at);
      // Memory records are points: never GPU work in the step's activities.
      assertTrue(s.external().stream().noneMatch(a -> a.kind().isGpuMemory()), at);
      if (s.detailed()) {
        sampledSoFar++;
        Map<String, MemorySite> sites = m.sites().stream()
            .collect(Collectors.toMap(MemorySite::site, Function.identity()));
        // Allocations in sampled steps name their op; the others (and the weights) have none.
        assertEquals(sampledSoFar * LEAK, sites.get("matmul").bytes(), at + " " + sites);
        assertEquals(sampledSoFar, sites.get("matmul").count());
        assertEquals(WEIGHTS + (i + 1 - sampledSoFar) * LEAK, sites.get("(no span)").bytes(), at + " " + sites);
        assertFalse(sites.containsKey("relu"), "the scratch was freed");
      } else {
        assertTrue(m.sites().isEmpty(), at);
      }
    }
    assertTrue(sampledSoFar >= 5, "sampled " + sampledSoFar);
    GpuStats stats = gpu.stats();
    assertEquals(2 + 3L * n + 2L * n, stats.memoryRecordsParsed(), stats::toString);
    assertEquals(2L * n, stats.hostMemoryRecords(), stats::toString);
    assertEquals(0, stats.unresolved(), "memory records outside a window are not unresolved GPU work");
    assertEquals(0, stats.gpuRecordsParsed(), stats::toString);
    assertTrue(log.isEmpty(), log::toString);
  }

  @Test
  void aDeviceLeakIsNamedByItsLaunchingOp() {
    runSampledSteps(60, true);

    List<Leak> leaks = collector.stats().leaks();
    Leak gpuLeak = leaks.stream().filter(l -> l.series() == MemorySeries.GPU_LIVE_BYTES).findFirst()
        .orElseThrow(() -> new AssertionError("no GPU leak in " + leaks));
    assertEquals(LEAK, gpuLeak.bytesPerStep(), LEAK * 0.05, gpuLeak::toString);
    assertEquals("matmul", gpuLeak.sites().get(0).site(), gpuLeak::toString);
    assertTrue(gpuLeak.sites().get(0).bytes() >= 50 * LEAK, gpuLeak::toString);
    assertEquals(0, collector.stats().gpuAllocationsUntracked());
  }

  @Test
  void aJobThatFreesWhatItAllocatesHasNoDeviceSuspect() {
    runSampledSteps(60, false);
    assertEquals(60, steps.size());
    assertTrue(steps.stream().allMatch(s -> s.memory().value(MemorySeries.GPU_ALLOCS) == 1
        && s.memory().value(MemorySeries.GPU_LIVE_BYTES) == 0), "a scratch buffer per step, freed");
    assertTrue(collector.stats().leaks().isEmpty(), collector.stats().leaks()::toString);
  }

  @Test
  void whenGpuTracingFailsMidRunLaterStepsHaveNoGpuMemorySeries() throws Exception {
    FakeCupti.configure(10, false, false, false); // enabling concurrent kernels fails: the first window's enable
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    assertTrue(gpu.trackMemory(), log::toString);
    step(0);
    Thread.sleep(5);
    assertFalse(gpu.enable());
    step(1);
    gpu.finish();
    collector.close();
    assertEquals(2, steps.size());
    StepMemory before = steps.get(0).memory();
    assertEquals(LEAK, before.value(MemorySeries.GPU_LIVE_BYTES), before.values()::toString);
    assertFalse(steps.get(1).memory().has(MemorySeries.GPU_LIVE_BYTES), "unknown after the failure, not zero");
    assertEquals(1, log.size(), log::toString);
    assertTrue(log.get(0).startsWith("GPU tracing unavailable: cuptiActivityEnable(kind 10) failed"), log.get(0));
  }

  @Test
  void withoutTrackMemoryNoMemoryRecordsAreMade() {
    FakeCupti.configure(-1, false, false, false);
    gpu = GpuTracing.start(FakeCupti.options(), log::add);
    assertTrue(gpu.enable());
    ThreadRecorder op = Recorder.enterOp();
    FakeCupti.allocate(0x1000, 64);
    Recorder.exitOp(op, Kind.OP_OTHER, "alloc");
    gpu.finish();
    List<ExternalActivity> out = new ArrayList<>();
    gpu.source().drainTo(out);
    assertTrue(out.isEmpty(), out::toString);
    assertEquals(0, gpu.stats().memoryRecordsParsed());
  }

  @Test
  void aCuptiThatRefusesMemoryRecordsSaysSoOnceAndKernelsStillWork() {
    FakeCupti.configure(49, false, false, false); // CUPTI_ACTIVITY_KIND_MEMORY2, as before CUDA 11.6
    gpu = GpuTracing.start(FakeCupti.options(), log::add);
    assertFalse(gpu.trackMemory());
    assertEquals(1, log.size(), log::toString);
    assertTrue(log.get(0).startsWith("GPU memory records unavailable: cuptiActivityEnable(MEMORY2) failed"),
        log.get(0));
    assertTrue(gpu.available());
    assertTrue(gpu.enable());
    assertEquals(Long.MIN_VALUE, gpu.source().gpuMemoryMeasuredUntilNs());
  }
}
