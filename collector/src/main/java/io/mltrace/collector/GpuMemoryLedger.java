package io.mltrace.collector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Device memory per step, from CUPTI's allocation and release records ({@link ActivityKind#isGpuMemory()}): the
 * step's flows ({@link MemorySeries#GPU_ALLOC_BYTES}, {@code GPU_FREE_BYTES}, {@code GPU_ALLOCS},
 * {@code GPU_FREES}), the level {@link MemorySeries#GPU_LIVE_BYTES} at its end, and in a detailed step the live
 * allocations by the op that made them ({@link MemorySite}s of {@code GPU_LIVE_BYTES}).
 *
 * <p>The rules:
 * <ul>
 *   <li>Records are applied in time order when a step is assembled: every record before the step's end (the
 *       sources have delivered those: the watermark). The bridge emits them in the order their joins complete, and
 *       a release can come out before the allocation it ends.
 *   <li>A step's flows are the records inside its interval. Device memory is the process's: a record between two
 *       steps moves the level only, and with several training threads a record counts in the first step assembled
 *       that contains it.
 *   <li>The level counts allocations seen since memory records were turned on, less their releases. A release of
 *       an address allocated before then counts in the step's flows, never against the level (which stays
 *       non-negative).
 *   <li>The op of an allocation is the span that launched it when that span is in the step (inside a GPU window,
 *       where spans push their ids); otherwise {@link #NO_SPAN}.
 * </ul>
 *
 * <p>Bounded: at most {@code maxLive} live allocations are tracked (past that, an allocation counts in the flows
 * but not in the level or the sites, and is counted in {@link #untrackedAllocations()}), and at most
 * {@code maxPending} records wait for a step (past that, the oldest move the level only). Collector thread only.
 */
final class GpuMemoryLedger {
  /** The site of device memory whose launching op is unknown (outside a window, or its span not in the step). */
  static final String NO_SPAN = "(no span)";
  /** Sites kept per detailed step: the largest ops. */
  static final int MAX_SITES = 32;

  private static final class Allocation {
    final long bytes;
    final String op;

    Allocation(long bytes, String op) {
      this.bytes = bytes;
      this.op = op;
    }
  }

  private final int maxLive;
  private final int maxPending;
  private final ArrayList<ExternalActivity> pending = new ArrayList<>();
  private boolean pendingSorted = true;
  private final Map<Long, Allocation> live = new HashMap<>();
  private long liveBytes;
  /** Until when a source delivers every record (agent clock); {@link Long#MIN_VALUE}: never. */
  private long measuredUntilNs = Long.MIN_VALUE;
  private long untrackedAllocations;
  private long untrackedFrees;

  GpuMemoryLedger(int maxLive, int maxPending) {
    this.maxLive = maxLive;
    this.maxPending = maxPending;
  }

  /**
   * Steps ending by {@code untilNs} get the GPU memory series (a source delivers every allocation and release until
   * then; {@link Long#MAX_VALUE}: it does now; {@link Long#MIN_VALUE}: it never did).
   */
  void measuredUntil(long untilNs) {
    measuredUntilNs = untilNs;
  }

  void add(ExternalActivity a) {
    if (!pending.isEmpty() && a.startNs() < pending.get(pending.size() - 1).startNs()) {
      pendingSorted = false;
    }
    pending.add(a);
    if (pending.size() > maxPending) {
      sortPending();
      int n = pending.size() - maxPending / 2;
      for (int i = 0; i < n; i++) {
        apply(pending.get(i), null);
      }
      pending.subList(0, n).clear();
    }
  }

  /**
   * Applies the records before {@code endNs} and, once GPU memory is measured, sets the step's series; names each
   * allocation's op from the step's spans ({@code tree}); adds the live allocations by op as sites when
   * {@code withSites} (a detailed step, as for the sites of tensors).
   */
  void closeStep(StepMemory memory, long startNs, long endNs, SpanTree tree, boolean withSites) {
    sortPending();
    long[] flows = new long[4];
    int n = 0;
    while (n < pending.size() && pending.get(n).startNs() < endNs) {
      ExternalActivity a = pending.get(n++);
      String op = NO_SPAN;
      if (a.correlatedSpanId() != 0 && tree != null) {
        Span s = tree.byId(a.correlatedSpanId());
        if (s != null) {
          op = s.name();
        }
      }
      long released = apply(a, op);
      if (a.startNs() >= startNs) {
        boolean alloc = a.kind() == ActivityKind.GPU_ALLOC;
        // A release record without its size counts the size of the allocation it ends, where that is known.
        flows[alloc ? 0 : 1] += alloc || a.bytes() > 0 ? a.bytes() : released;
        flows[alloc ? 2 : 3]++;
      }
    }
    pending.subList(0, n).clear();
    if (measuredUntilNs == Long.MIN_VALUE ? n == 0 && live.isEmpty() : endNs > measuredUntilNs) {
      return; // not measured: absent, not zero
    }
    memory.set(MemorySeries.GPU_ALLOC_BYTES, flows[0]);
    memory.set(MemorySeries.GPU_FREE_BYTES, flows[1]);
    memory.set(MemorySeries.GPU_ALLOCS, flows[2]);
    memory.set(MemorySeries.GPU_FREES, flows[3]);
    memory.set(MemorySeries.GPU_LIVE_BYTES, liveBytes);
    if (withSites) {
      for (MemorySite site : sites()) {
        memory.addSite(site);
      }
    }
  }

  private void sortPending() {
    if (!pendingSorted) {
      pending.sort((x, y) -> Long.compare(x.startNs(), y.startNs())); // stable: equal times keep arrival order
      pendingSorted = true;
    }
  }

  /**
   * Moves the level by one record; {@code op} null: the op is not known. Returns the bytes of the allocation a
   * release ended (0 when untracked, or for an allocation).
   */
  private long apply(ExternalActivity a, String op) {
    if (a.kind() == ActivityKind.GPU_ALLOC) {
      Allocation previous = live.remove(a.address());
      if (previous != null) {
        liveBytes -= previous.bytes; // its release was lost (a dropped record): the address is reused now
      }
      if (live.size() >= maxLive) {
        untrackedAllocations++;
        return 0;
      }
      live.put(a.address(), new Allocation(a.bytes(), op == null ? NO_SPAN : op));
      liveBytes += a.bytes();
      return 0;
    }
    Allocation freed = live.remove(a.address());
    if (freed == null) {
      untrackedFrees++;
      return 0;
    }
    liveBytes -= freed.bytes;
    return freed.bytes;
  }

  /** Live allocations by op, largest first, at most {@link #MAX_SITES}. */
  List<MemorySite> sites() {
    Map<String, long[]> byOp = new HashMap<>();
    for (Allocation a : live.values()) {
      long[] v = byOp.computeIfAbsent(a.op, k -> new long[2]);
      v[0] += a.bytes;
      v[1]++;
    }
    List<MemorySite> out = new ArrayList<>(byOp.size());
    for (Map.Entry<String, long[]> e : byOp.entrySet()) {
      out.add(new MemorySite(e.getKey(), MemorySeries.GPU_LIVE_BYTES, e.getValue()[0], e.getValue()[1]));
    }
    out.sort((x, y) -> Long.compare(y.bytes(), x.bytes()));
    return out.size() > MAX_SITES ? new ArrayList<>(out.subList(0, MAX_SITES)) : out;
  }

  /** Device bytes allocated and not yet released, of the allocations tracked. */
  long liveBytes() {
    return liveBytes;
  }

  /** Allocations not tracked because {@code maxLive} allocations were live: missing from the level. */
  long untrackedAllocations() {
    return untrackedAllocations;
  }

  /** Releases of addresses not tracked: allocated before memory records were on, or not tracked. */
  long untrackedFrees() {
    return untrackedFrees;
  }
}
