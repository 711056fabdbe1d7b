package io.mltrace.gpu;

/**
 * A snapshot of the GPU bridge's counters and the window's measured costs. Every loss is counted here, never
 * silent: records CUPTI dropped for want of a buffer, records the ring had no room for, GPU records that waited
 * longer than the pending table allowed, and GPU records launched outside any span.
 */
public final class GpuStats {
  // Indices into the bridge's counter array (the enum in mltrace_cupti.c).
  static final int EMITTED = 0;
  static final int RING_FULL = 1;
  static final int CUPTI_DROPPED = 2;
  static final int PENDING_OVERFLOW = 3;
  static final int UNRESOLVED = 4;
  static final int BUFFERS = 5;
  static final int POOL_EMPTY = 6;
  static final int CORRELATIONS = 7;
  static final int NAMES = 8;
  static final int NAME_TABLE_FULL = 9;
  static final int PENDING_NOW = 10;
  static final int MIN_PENDING_END = 11;
  static final int CLOCK_MODE = 12;
  static final int PARSE_NS = 13;
  static final int GPU_PARSED = 14;
  static final int OTHER_RECORDS = 15;
  static final int MEMORY_PARSED = 16;
  static final int COUNT = 17;

  private final long[] c;
  private final long drained;
  private final long enables;
  private final long enableNsTotal;
  private final long enableNsMax;
  private final long disables;
  private final long disableNsTotal;
  private final long hostMemoryRecords;

  GpuStats(long[] counters, long drained, long enables, long enableNsTotal, long enableNsMax, long disables,
      long disableNsTotal, long hostMemoryRecords) {
    this.hostMemoryRecords = hostMemoryRecords;
    this.c = counters.clone();
    this.drained = drained;
    this.enables = enables;
    this.enableNsTotal = enableNsTotal;
    this.enableNsMax = enableNsMax;
    this.disables = disables;
    this.disableNsTotal = disableNsTotal;
  }

  /** GPU records (kernels, copies, memsets) the bridge parsed. */
  public long gpuRecordsParsed() {
    return c[GPU_PARSED];
  }

  /** Memory records (allocations and releases, MEMORY2) the bridge parsed; not in {@link #gpuRecordsParsed}. */
  public long memoryRecordsParsed() {
    return c[MEMORY_PARSED];
  }

  /** Memory records of host memory (pageable, pinned) the source left out: not device memory. */
  public long hostMemoryRecords() {
    return hostMemoryRecords;
  }

  /** GPU records (and memory records) written to the ring. */
  public long recordsEmitted() {
    return c[EMITTED];
  }

  /** Records the collector has drained from the ring. */
  public long recordsDrained() {
    return drained;
  }

  /** Records lost because the ring was full (the collector fell behind). */
  public long ringFull() {
    return c[RING_FULL];
  }

  /** Records CUPTI dropped because no buffer was free (cuptiActivityGetNumDroppedRecords). */
  public long cuptiDropped() {
    return c[CUPTI_DROPPED];
  }

  /** Times CUPTI asked for a buffer and the pool had none. */
  public long bufferPoolEmpty() {
    return c[POOL_EMPTY];
  }

  /** GPU records emitted without their span because the pending table was full. */
  public long pendingOverflow() {
    return c[PENDING_OVERFLOW];
  }

  /**
   * GPU records emitted without a span: pending-table overflow, or launched outside any span. Memory records are not
   * counted: outside a window none has a span.
   */
  public long unresolved() {
    return c[UNRESOLVED];
  }

  public long buffersCompleted() {
    return c[BUFFERS];
  }

  public long correlationRecords() {
    return c[CORRELATIONS];
  }

  public long kernelNames() {
    return c[NAMES];
  }

  /** True when CUPTI stamps records with the agent's clock (CLOCK_MONOTONIC) through the timestamp callback. */
  public boolean monotonicTimestamps() {
    return c[CLOCK_MODE] == 1;
  }

  /** Nanoseconds the bridge spent parsing buffers, all records included. */
  public long parseNs() {
    return c[PARSE_NS];
  }

  /** Records other than GPU work and correlations (runtime and driver API records). */
  public long apiRecords() {
    return c[OTHER_RECORDS];
  }

  public long enables() {
    return enables;
  }

  public long enableNsTotal() {
    return enableNsTotal;
  }

  public long enableNsMax() {
    return enableNsMax;
  }

  public long disables() {
    return disables;
  }

  public long disableNsTotal() {
    return disableNsTotal;
  }

  @Override
  public String toString() {
    return "gpu records " + gpuRecordsParsed() + " (drained " + drained + ", unresolved " + unresolved()
        + ", pending overflow " + pendingOverflow() + ", ring full " + ringFull() + ", CUPTI dropped "
        + cuptiDropped() + "), enables " + enables + " (" + enableNsTotal / 1000 + " us), disables " + disables
        + " (" + disableNsTotal / 1000 + " us), memory records " + memoryRecordsParsed() + " (host "
        + hostMemoryRecords + ")";
  }
}
