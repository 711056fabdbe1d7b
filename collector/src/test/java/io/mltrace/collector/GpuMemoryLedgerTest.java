package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mapping from CUPTI's device allocation and release records to each step's GPU memory series and sites. */
class GpuMemoryLedgerTest {
  private static final SpanTree NO_SPANS = SpanTree.of(List.of());

  private static ExternalActivity alloc(long address, long bytes, long atNs, long spanId) {
    return ExternalActivity.gpuMemory(ActivityKind.GPU_ALLOC, address, bytes, atNs, spanId, 0, 7, "device");
  }

  private static ExternalActivity free(long address, long bytes, long atNs) {
    return ExternalActivity.gpuMemory(ActivityKind.GPU_FREE, address, bytes, atNs, 0, 0, 7, "device");
  }

  private static StepMemory close(GpuMemoryLedger ledger, long start, long end) {
    StepMemory m = new StepMemory();
    ledger.closeStep(m, start, end, NO_SPANS, false);
    return m;
  }

  @Test
  void aStepsFlowsAreItsRecordsAndTheLevelIsWhatWasNotFreed() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(alloc(0x1000, 4096, 110, 0));
    ledger.add(alloc(0x2000, 1000, 120, 0));
    ledger.add(free(0x1000, 4096, 150));
    ledger.add(alloc(0x3000, 7, 250, 0)); // the next step's
    StepMemory first = close(ledger, 100, 200);
    assertEquals(5096, first.value(MemorySeries.GPU_ALLOC_BYTES));
    assertEquals(4096, first.value(MemorySeries.GPU_FREE_BYTES));
    assertEquals(2, first.value(MemorySeries.GPU_ALLOCS));
    assertEquals(1, first.value(MemorySeries.GPU_FREES));
    assertEquals(1000, first.value(MemorySeries.GPU_LIVE_BYTES));

    StepMemory second = close(ledger, 200, 300);
    assertEquals(7, second.value(MemorySeries.GPU_ALLOC_BYTES));
    assertEquals(1, second.value(MemorySeries.GPU_ALLOCS));
    assertEquals(0, second.value(MemorySeries.GPU_FREES));
    assertEquals(1007, second.value(MemorySeries.GPU_LIVE_BYTES));

    StepMemory quiet = close(ledger, 300, 400);
    assertTrue(quiet.has(MemorySeries.GPU_ALLOCS), "measured: zero, not absent");
    assertEquals(0, quiet.value(MemorySeries.GPU_ALLOCS));
    assertEquals(1007, quiet.value(MemorySeries.GPU_LIVE_BYTES));
  }

  @Test
  void aReleaseOfMemoryAllocatedBeforeTracingCountsInTheFlowsButNeverAgainstTheLevel() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(free(0xdead, 1 << 20, 110)); // allocated before memory records were on
    ledger.add(alloc(0x1000, 100, 120, 0));
    StepMemory m = close(ledger, 100, 200);
    assertEquals(1 << 20, m.value(MemorySeries.GPU_FREE_BYTES));
    assertEquals(1, m.value(MemorySeries.GPU_FREES));
    assertEquals(100, m.value(MemorySeries.GPU_LIVE_BYTES), "the level is not lowered by a release it never saw");
    assertEquals(1, ledger.untrackedFrees());
  }

  @Test
  void aReleaseThatArrivesBeforeItsAllocationStillEndsIt() {
    // The bridge emits records as their joins complete: a release can come out before the allocation it ends.
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(free(0x1000, 512, 160));
    ledger.add(alloc(0x1000, 512, 130, 0));
    StepMemory m = close(ledger, 100, 200);
    assertEquals(0, m.value(MemorySeries.GPU_LIVE_BYTES));
    assertEquals(0, ledger.untrackedFrees());
  }

  @Test
  void aReleaseRecordWithoutItsSizeCountsTheSizeOfTheAllocationItEnds() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(alloc(0x1000, 2048, 110, 0));
    ledger.add(free(0x1000, 0, 120));
    ledger.add(free(0x9000, 0, 130)); // untracked, size unknown
    StepMemory m = close(ledger, 100, 200);
    assertEquals(2048, m.value(MemorySeries.GPU_FREE_BYTES));
    assertEquals(2, m.value(MemorySeries.GPU_FREES));
    assertEquals(0, m.value(MemorySeries.GPU_LIVE_BYTES));
  }

  @Test
  void recordsBetweenStepsMoveTheLevelOnly() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(alloc(0x1000, 300, 50, 0)); // model weights, before the first step
    StepMemory m = close(ledger, 100, 200);
    assertEquals(0, m.value(MemorySeries.GPU_ALLOCS));
    assertEquals(300, m.value(MemorySeries.GPU_LIVE_BYTES));
  }

  @Test
  void theLiveTableIsBoundedAndItsOverflowCounted() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(2, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(alloc(1, 10, 110, 0));
    ledger.add(alloc(2, 20, 120, 0));
    ledger.add(alloc(3, 40, 130, 0));
    StepMemory m = close(ledger, 100, 200);
    assertEquals(70, m.value(MemorySeries.GPU_ALLOC_BYTES), "flows count every allocation");
    assertEquals(30, m.value(MemorySeries.GPU_LIVE_BYTES));
    assertEquals(1, ledger.untrackedAllocations());
  }

  @Test
  void pendingRecordsAreBoundedWhenNoStepCloses() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(1000, 10);
    ledger.measuredUntil(Long.MAX_VALUE);
    for (int i = 0; i < 25; i++) {
      ledger.add(alloc(i + 1, 1, 1000 + i, 0));
    }
    // Past the bound the oldest moved the level at once; at most the bound still waits.
    assertTrue(ledger.liveBytes() >= 25 - 10 && ledger.liveBytes() < 25, "live " + ledger.liveBytes());
    StepMemory m = close(ledger, 0, 2000);
    assertEquals(25, m.value(MemorySeries.GPU_LIVE_BYTES));
  }

  @Test
  void liveAllocationsAreSitesOfTheOpThatLaunchedThemInADetailedStep() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    Span matmul = new Span(Kind.OP_GEMM, "matmul", 1, 100, 150, 11, 10, 0, 0, new long[0][]);
    Span relu = new Span(Kind.OP_OTHER, "relu", 1, 150, 190, 12, 10, 0, 0, new long[0][]);
    SpanTree tree = SpanTree.of(List.of(matmul, relu));
    ledger.add(alloc(0x1, 1 << 20, 110, 11));
    ledger.add(alloc(0x2, 1 << 20, 120, 11));
    ledger.add(alloc(0x3, 4096, 160, 12));
    ledger.add(alloc(0x4, 64, 170, 0)); // launched outside any span
    ledger.add(free(0x3, 4096, 180));
    StepMemory m = new StepMemory();
    ledger.closeStep(m, 100, 200, tree, true);
    List<MemorySite> sites = m.sites();
    assertEquals(2, sites.size(), sites::toString);
    assertEquals("matmul", sites.get(0).site());
    assertEquals(2L << 20, sites.get(0).bytes());
    assertEquals(2, sites.get(0).count());
    assertEquals(MemorySeries.GPU_LIVE_BYTES, sites.get(0).series());
    assertEquals(GpuMemoryLedger.NO_SPAN, sites.get(1).site());

    StepMemory counted = new StepMemory();
    ledger.closeStep(counted, 200, 300, NO_SPANS, false);
    assertTrue(counted.sites().isEmpty(), "sites in detailed steps only, as for tensors");
  }

  @Test
  void stepsEndingAfterTheSourceStoppedAreNotMeasured() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    ledger.measuredUntil(Long.MAX_VALUE);
    ledger.add(alloc(0x1000, 64, 150, 0));
    ledger.measuredUntil(250); // GPU tracing failed mid-run
    assertEquals(64, close(ledger, 100, 200).value(MemorySeries.GPU_LIVE_BYTES));
    assertFalse(close(ledger, 200, 300).has(MemorySeries.GPU_LIVE_BYTES), "unknown, not zero");
  }

  @Test
  void withoutMemoryRecordsNoSeriesAppear() {
    GpuMemoryLedger ledger = new GpuMemoryLedger(100, 100);
    StepMemory m = close(ledger, 100, 200);
    assertFalse(m.has(MemorySeries.GPU_LIVE_BYTES));
    assertTrue(m.isEmpty());
  }
}
