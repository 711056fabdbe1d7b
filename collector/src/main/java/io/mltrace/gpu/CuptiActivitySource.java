package io.mltrace.gpu;

import io.mltrace.bootstrap.GpuNative;
import io.mltrace.collector.ActivityKind;
import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPU records from the bridge's ring as {@link ExternalActivity}s, on the collector thread: kernels, copies and
 * memsets, and device memory allocations and releases (host memory that CUPTI also reports, pageable or pinned, is
 * left out: it is not device memory).
 *
 * <p>Each drain first asks CUPTI for its buffers when a window has been open since the last flush and the flush
 * interval has passed: a forced flush hands over every record of work completed before it started and settles
 * every join, which is what {@link #completeUpToNs} promises.
 */
final class CuptiActivitySource implements ActivitySource {
  /** CUpti_ActivityMemoryKind by value (checked against the headers through the bridge's offset check). */
  private static final String[] MEMORY_KINDS = {"unknown", "pageable", "pinned", "device", "array", "managed",
      "device_static", "managed_static"};
  private static final int MEMORY_KIND_PAGEABLE = 1;
  private static final int MEMORY_KIND_PINNED = 2;

  private final GpuTracing tracing;
  private final GpuRecordRing ring;
  private final long flushIntervalNs;
  private String[] names = new String[64];
  private boolean[] gemmById = new boolean[64];
  private final Map<Long, String> launchShapes = new HashMap<>();
  private long lastFlushStart;
  private volatile long completeUpTo;
  private long drained;
  private long hostMemoryRecords;
  private boolean closed;

  CuptiActivitySource(GpuTracing tracing, GpuRecordRing ring, long flushIntervalNs) {
    this.tracing = tracing;
    this.ring = ring;
    this.flushIntervalNs = flushIntervalNs;
    this.lastFlushStart = System.nanoTime();
    this.completeUpTo = lastFlushStart;
  }

  @Override
  public String name() {
    return "cupti";
  }

  @Override
  public synchronized void drainTo(List<ExternalActivity> out) {
    if (closed) {
      return;
    }
    long now = System.nanoTime();
    boolean collecting = tracing.collectedSinceFlush();
    if (collecting && now - lastFlushStart >= flushIntervalNs) {
      flush(now);
    } else if (!collecting) {
      completeUpTo = now; // nothing was collected since the last forced flush
    }
    drainRing(out);
  }

  /** Hands over everything CUPTI holds, then drains; used at the end of a window and at shutdown. */
  synchronized void flushNow(List<ExternalActivity> out) {
    if (!closed) {
      flush(System.nanoTime());
      drainRing(out);
    }
  }

  private void flush(long start) {
    tracing.clearCollectedSinceFlush();
    GpuNative.flush0(true);
    lastFlushStart = start;
    completeUpTo = start;
  }

  private void drainRing(List<ExternalActivity> out) {
    drained += ring.drain((r, at) -> {
      ExternalActivity a = toActivity(r, at);
      if (a != null) {
        out.add(a);
      }
    });
  }

  /** The activity of one ring record; null for host memory. */
  private ExternalActivity toActivity(GpuRecordRing r, int at) {
    int type = r.type(at);
    long span = r.joined(at) ? r.externalId(at) : 0;
    if (type == GpuRecordRing.TYPE_ALLOC || type == GpuRecordRing.TYPE_FREE) {
      int kind = r.memoryKind(at);
      if (kind == MEMORY_KIND_PAGEABLE || kind == MEMORY_KIND_PINNED) {
        hostMemoryRecords++;
        return null;
      }
      return ExternalActivity.gpuMemory(type == GpuRecordRing.TYPE_ALLOC ? ActivityKind.GPU_ALLOC
          : ActivityKind.GPU_FREE, r.address(at), r.bytes(at), r.startNs(at), span, r.device(at), r.stream(at),
          kind < MEMORY_KINDS.length ? MEMORY_KINDS[kind] : "kind " + kind);
    }
    boolean launch = r.launchKnown(at);
    long launchStart = launch ? r.launchStartNs(at) : 0;
    long launchEnd = launch ? r.launchEndNs(at) : 0;
    if (type == GpuRecordRing.TYPE_KERNEL) {
      int id = r.nameId(at);
      String name = kernelName(id);
      Category category = id > 0 && gemmById[id] || id <= 0 && GemmKernels.isGemm(name)
          ? Category.GEMM : Category.OTHER_COMPUTE;
      return ExternalActivity.gpu(ActivityKind.GPU_KERNEL, category, name, r.startNs(at), r.endNs(at), span,
          r.device(at), r.stream(at), 0, launchShape(r.gridX(at), r.blockX(at)), launchStart, launchEnd);
    }
    if (type == GpuRecordRing.TYPE_MEMCPY) {
      String direction = CopyKind.name(r.copyKind(at));
      return ExternalActivity.gpu(ActivityKind.GPU_MEMCPY, Category.MEMCPY, "memcpy " + direction, r.startNs(at),
          r.endNs(at), span, r.device(at), r.stream(at), r.bytes(at), direction, launchStart, launchEnd);
    }
    return ExternalActivity.gpu(ActivityKind.GPU_MEMSET, Category.OTHER_COMPUTE, "memset", r.startNs(at),
        r.endNs(at), span, r.device(at), r.stream(at), r.bytes(at), null, launchStart, launchEnd);
  }

  /** "grid G block B", one string per distinct shape (bounded: past 4096 shapes, built each time). */
  private String launchShape(int grid, int block) {
    long key = (long) grid << 32 | (block & 0xffffffffL);
    String s = launchShapes.get(key);
    if (s == null) {
      s = "grid " + grid + " block " + block;
      if (launchShapes.size() < 4096) {
        launchShapes.put(key, s);
      }
    }
    return s;
  }

  private String kernelName(int id) {
    if (id <= 0) {
      return "kernel";
    }
    if (id >= names.length) {
      names = Arrays.copyOf(names, Math.max(id + 1, names.length * 2));
      gemmById = Arrays.copyOf(gemmById, names.length);
    }
    String n = names[id];
    if (n == null) {
      n = GpuNative.kernelName0(id);
      names[id] = n == null ? "kernel" : n;
      n = names[id];
      gemmById[id] = GemmKernels.isGemm(n); // classified once per kernel name
    }
    return n;
  }

  @Override
  public long gpuMemoryMeasuredUntilNs() {
    return tracing.memoryTrackedUntilNs();
  }

  @Override
  public long completeUpToNs() {
    return closed ? Long.MAX_VALUE : completeUpTo;
  }

  long drained() {
    return drained;
  }

  /** Allocations and releases of host memory (pageable, pinned) left out. */
  long hostMemoryRecords() {
    return hostMemoryRecords;
  }

  @Override
  public synchronized void close() {
    closed = true;
    tracing.close();
  }
}
