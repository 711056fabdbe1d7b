package io.mltrace.gpu;

import io.mltrace.bootstrap.GpuCorrelation;
import io.mltrace.bootstrap.GpuNative;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.collector.ActivitySource;
import java.util.function.Consumer;

/**
 * GPU tracing for one process: loads the bridge and libcupti, owns the collection window, and exposes the records
 * as an {@link ActivitySource}.
 *
 * <p>Never throws. When anything needed is missing (the bridge, libcupti, the driver), another CUPTI subscriber is
 * active, or enabling fails, it logs one line {@code GPU tracing unavailable: <reason>} and stays off for good:
 * no CUPTI call is made again (on a host without a driver each one would re-probe it).
 *
 * <p>Windows: {@link #followSampledSteps} collects during the steps that record spans (every detail decision of
 * {@link Sampling#isSampled(long)}: head or tail sampling, a mode, an on-demand window);
 * {@link #requestSteps} opens an on-demand window of n whole steps. Both toggle CUPTI at step boundaries on the
 * training thread; each enable and disable is timed ({@link #stats}).
 *
 * <p>Device memory: {@link #trackMemory} turns CUPTI's memory records on for the rest of the run, apart from the
 * windows, because per-step memory is measured in every step: the level (bytes allocated and not yet freed) is only
 * right when no allocation or release is missed. A step outside a window gets its flows and level; the op that
 * allocated is known only inside a window, where spans push their ids.
 */
public final class GpuTracing implements GpuCorrelation.WindowControl {
  /** Sizes and paths; the defaults suit a training job (16 MB of CUPTI buffers, 4 MB of ring). */
  public static final class Options {
    String cuptiPath;
    String bridgePath;
    int ringRecords = 1 << 16;
    int buffers = 8;
    int bufferBytes = 2 << 20;
    int pendingCapacity = 1 << 16;
    int correlationCapacity = 1 << 17;
    long flushIntervalMillis = 200;

    /** libcupti to load; null: an already-loaded copy, then the default search. */
    public Options cuptiPath(String path) {
      this.cuptiPath = path == null || path.isEmpty() ? null : path;
      return this;
    }

    /** The bridge library file; null: the copy in the jar. */
    public Options bridgePath(String path) {
      this.bridgePath = path;
      return this;
    }

    public Options ringRecords(int n) {
      this.ringRecords = n;
      return this;
    }

    public Options buffers(int count, int bytesEach) {
      this.buffers = count;
      this.bufferBytes = bytesEach;
      return this;
    }

    /** GPU records that may wait for their correlation record; past this the oldest goes out unjoined, counted. */
    public Options pendingCapacity(int n) {
      this.pendingCapacity = n;
      return this;
    }

    public Options flushIntervalMillis(long ms) {
      this.flushIntervalMillis = ms;
      return this;
    }
  }

  private final Consumer<String> log;
  private final CuptiActivitySource source;
  private volatile String unavailable;
  private volatile boolean enabled;
  private volatile boolean collectedSinceFlush;
  private volatile boolean memoryTracked;
  private volatile long memoryTrackedUntilNs = Long.MIN_VALUE;
  private boolean memoryRefused;
  private boolean followSampled;
  private volatile int requested;
  private int windowLeft;
  private long enables;
  private long enableNsTotal;
  private long enableNsMax;
  private long disables;
  private long disableNsTotal;
  private boolean closed;

  private GpuTracing(Consumer<String> log, String unavailable, GpuRecordRing ring, long flushIntervalNs) {
    this.log = log;
    this.unavailable = unavailable;
    this.source = ring == null ? null : new CuptiActivitySource(this, ring, flushIntervalNs);
    if (unavailable != null) {
      log.accept("GPU tracing unavailable: " + unavailable);
    }
  }

  /**
   * Loads the bridge and libcupti and registers with CUPTI; collection stays off until a window opens. Never
   * throws: when GPU tracing cannot run, the result is {@link #available() unavailable} and one line was logged.
   */
  public static GpuTracing start(Options o, Consumer<String> log) {
    try {
      if (o.cuptiPath == null && !CuptiLocator.anywhere()) {
        return new GpuTracing(log, "libcupti not found (set cupti_path, or add its folder to LD_LIBRARY_PATH)",
            null, 0);
      }
      String why = BridgeLibrary.load(o.bridgePath);
      if (why != null) {
        return new GpuTracing(log, why, null, 0);
      }
      GpuRecordRing ring = new GpuRecordRing(o.ringRecords);
      why = GpuNative.open0(o.cuptiPath, ring.buffer(), o.buffers, o.bufferBytes, o.pendingCapacity,
          Integer.highestOneBit(Math.max(2, o.correlationCapacity)));
      if (why != null) {
        return new GpuTracing(log, why, null, 0);
      }
      return new GpuTracing(log, null, ring, o.flushIntervalMillis * 1_000_000L);
    } catch (Throwable t) {
      return new GpuTracing(log, "the CUPTI bridge failed to start: " + t, null, 0);
    }
  }

  /** True while GPU tracing can run (it may still be outside a window). */
  public boolean available() {
    return unavailable == null;
  }

  /** Why GPU tracing is unavailable, or null. */
  public String unavailableReason() {
    return unavailable;
  }

  /** The GPU records, or null when unavailable. */
  public ActivitySource source() {
    return source;
  }

  /** True while CUPTI collects. */
  public boolean collecting() {
    return enabled;
  }

  /**
   * Collects during the steps that record spans: toggled at each step boundary from {@link Sampling#isSampled}.
   * Collection starts now when the first step is sampled.
   */
  public synchronized void followSampledSteps() {
    if (unavailable != null) {
      return;
    }
    followSampled = true;
    GpuCorrelation.setWindowControl(this);
    if (Sampling.isSampled(Recorder.stepsClosed() + 1)) {
      enable();
    }
  }

  /** Opens an on-demand window over the next {@code steps} whole steps (from the next step boundary). */
  public void requestSteps(int steps) {
    if (unavailable == null && steps > 0) {
      requested = steps;
      GpuCorrelation.setWindowControl(this);
    }
  }

  @Override
  public synchronized void onStepBoundary(long closedStep) {
    if (unavailable != null || closed) {
      return;
    }
    int asked = requested;
    if (asked > 0) {
      requested = 0;
      windowLeft = asked;
    } else if (windowLeft > 0) {
      windowLeft--;
    }
    boolean want = windowLeft > 0 || (followSampled && Sampling.isSampled(closedStep + 1));
    if (want && !enabled) {
      enable();
    } else if (!want && enabled) {
      disable();
    }
  }

  /**
   * Collects device memory allocations and releases from now until {@link #finish}, in and outside windows. False
   * (one line {@code GPU memory records unavailable: <reason>} logged; kernels and copies are still traced) when
   * CUPTI refuses, as a CUPTI older than CUDA 11.6 does.
   */
  public synchronized boolean trackMemory() {
    if (unavailable != null || closed || memoryRefused) {
      return false;
    }
    if (!memoryTracked) {
      String why = GpuNative.memory0(true);
      if (why != null) {
        memoryRefused = true;
        log.accept("GPU memory records unavailable: " + why);
        return false;
      }
      memoryTracked = true;
      memoryTrackedUntilNs = Long.MAX_VALUE;
    }
    return true;
  }

  /** True while device memory records are collected ({@link #trackMemory}). */
  public boolean memoryTracked() {
    return memoryTracked;
  }

  /**
   * Until when every device allocation and release is collected: {@link Long#MAX_VALUE} while
   * {@link #memoryTracked}, when it stopped after that, {@link Long#MIN_VALUE} if it never started.
   */
  long memoryTrackedUntilNs() {
    return memoryTrackedUntilNs;
  }

  /** Starts collecting now; false (and GPU tracing off for good, one line logged) when CUPTI refuses. */
  public synchronized boolean enable() {
    if (unavailable != null || closed) {
      return false;
    }
    if (enabled) {
      return true;
    }
    long t0 = System.nanoTime();
    String why = GpuNative.enable0();
    long ns = System.nanoTime() - t0;
    if (why != null) {
      markUnavailable(why);
      return false;
    }
    enables++;
    enableNsTotal += ns;
    enableNsMax = Math.max(enableNsMax, ns);
    collectedSinceFlush = true;
    enabled = true;
    GpuCorrelation.setActive(true);
    return true;
  }

  /** Stops collecting; the records already made still come through the source. */
  public synchronized void disable() {
    if (!enabled) {
      return;
    }
    GpuCorrelation.setActive(false);
    long t0 = System.nanoTime();
    GpuNative.disable0();
    disableNsTotal += System.nanoTime() - t0;
    disables++;
    enabled = false;
  }

  private void stopMemory() {
    if (memoryTracked) {
      memoryTrackedUntilNs = System.nanoTime(); // before the disable: nothing later is claimed complete
      GpuNative.memory0(false);
      memoryTracked = false;
      collectedSinceFlush = true; // the records made until now still need the next forced flush
    }
  }

  private void markUnavailable(String why) {
    unavailable = why;
    stopMemory(); // off for good: the memory records too, after one last flush
    GpuCorrelation.setActive(false);
    GpuCorrelation.setWindowControl(null);
    log.accept("GPU tracing unavailable: " + why);
  }

  boolean collectedSinceFlush() {
    return collectedSinceFlush || enabled || memoryTracked;
  }

  void clearCollectedSinceFlush() {
    collectedSinceFlush = false;
  }

  /** The bridge's counters and the window's costs. */
  public GpuStats stats() {
    long[] c = new long[GpuStats.COUNT];
    if (source != null) {
      GpuNative.counters0(c);
    }
    synchronized (this) {
      return new GpuStats(c, source == null ? 0 : source.drained(), enables, enableNsTotal, enableNsMax, disables,
          disableNsTotal, source == null ? 0 : source.hostMemoryRecords());
    }
  }

  /**
   * Stops collecting and hands every record CUPTI holds to the ring, so that the collector's next drain sees the
   * whole window (call before the collector's final flush at shutdown).
   */
  public synchronized void finish() {
    disable();
    stopMemory();
    if (source != null && !closed && unavailable == null) {
      GpuNative.flush0(true);
      // A record whose API record came after the first flush began waits one more forced flush (gpu_records.c).
      GpuNative.flush0(true);
    }
  }

  /** Stops collecting and detaches CUPTI from the ring; call once the last records were drained. */
  synchronized void close() {
    if (closed) {
      return;
    }
    disable();
    stopMemory();
    GpuCorrelation.setWindowControl(null);
    if (source != null) {
      GpuNative.close0();
    }
    closed = true;
  }
}
