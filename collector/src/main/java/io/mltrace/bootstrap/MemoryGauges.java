package io.mltrace.bootstrap;

import java.util.function.LongSupplier;

/**
 * Process-wide memory levels that the agent can read cheaply (a counter, not a system call), installed once per
 * framework and read on the training thread when a step closes, so that each step's value is the value at its
 * end: a level read later on the collector thread would give a run of steps one value and hide a slope.
 *
 * <p>A gauge that throws is removed (one line on stderr) and its series stops being reported; the step closes
 * as if it had never been installed. Installed from the agent's start-up or instrumentation thread; read by any
 * training thread (the array is published through the volatile count).
 */
public final class MemoryGauges {
  /**
   * What a gauge returns when it was not read for this step (a costly reading taken every so often): the series is
   * absent from the step, and the gauge stays installed.
   */
  public static final long NOT_MEASURED = -1;

  private static final LongSupplier[] GAUGES = new LongSupplier[MemorySlots.COUNT];
  /** Changes with every install and clear: publishes {@link #GAUGES} to the reading threads. */
  private static volatile int installed;
  private static volatile boolean any;
  /** The series whose gauge any thread may read ({@link #installAnyThread}). */
  private static volatile long anyThread;
  private static volatile LongSupplier threadAllocated;
  /** False with {@code memory=off}: no step carries memory (no record, no reading, no flow). */
  private static volatile boolean enabled = true;

  /**
   * Installs the gauge of a level series ({@link MemorySlots}); replaces an earlier one. It is read only by training
   * threads at their steps' close: it may read the calling thread's framework state (ND4J's workspaces).
   */
  public static synchronized void install(int series, LongSupplier gauge) {
    installAs(series, gauge, false);
  }

  /**
   * Installs the gauge of a level series that reads nothing but process-wide counters, so that any thread may read
   * it: besides the training threads, the step boundary's warm-up ({@link HotPathWarmUp}) reads it, which compiles the
   * gauges' reading before a training thread has read them often enough to compile it itself (once a step).
   */
  public static synchronized void installAnyThread(int series, LongSupplier gauge) {
    installAs(series, gauge, true);
  }

  private static void installAs(int series, LongSupplier gauge, boolean anyThreadMayRead) {
    if (!MemorySlots.isLevel(series)) {
      throw new IllegalArgumentException(MemorySlots.name(series) + " is not a level");
    }
    GAUGES[series] = gauge;
    anyThread = anyThreadMayRead ? anyThread | (1L << series) : anyThread & ~(1L << series);
    any = true;
    installed = installed + 1;
  }

  /**
   * Installs the reading of the calling thread's allocated heap bytes (a monotonic counter per thread), read when
   * a step opens and when it closes: the difference is {@link MemorySlots#HEAP_ALLOCATED_BYTES}.
   */
  public static void installThreadAllocation(LongSupplier currentThreadAllocatedBytes) {
    threadAllocated = currentThreadAllocatedBytes;
  }

  /** Turns the memory of steps on or off ({@code memory=off}): off, the steps carry no memory record. */
  public static void setEnabled(boolean on) {
    enabled = on;
  }

  /** True unless {@link #setEnabled} turned memory off. */
  public static boolean enabled() {
    return enabled;
  }

  /** Visible for tests: no gauge installed. */
  public static synchronized void clear() {
    java.util.Arrays.fill(GAUGES, null);
    anyThread = 0;
    threadAllocated = null;
    any = false;
    installed = installed + 1;
  }

  /** True when a gauge was installed (and memory is on). */
  static boolean any() {
    return any && enabled;
  }

  /** The calling thread's allocated bytes, or -1 when no reading is installed or it failed. */
  static long threadAllocatedBytes() {
    LongSupplier s = threadAllocated;
    if (s == null || !enabled) {
      return -1;
    }
    try {
      return s.getAsLong();
    } catch (Throwable t) {
      threadAllocated = null;
      System.err.println("mltrace: heap allocation per step is off: " + t);
      return -1;
    }
  }

  /**
   * Writes every installed gauge's value into {@code slots[base + i]} and returns the bit mask of the series
   * written; with {@code anyThreadOnly} (the warm-up's private recorder), only the gauges that any thread may read.
   * One method for both, so that what the warm-up compiles is what a training thread runs.
   */
  static long read(long[] slots, int base, boolean anyThreadOnly) {
    if (installed == 0 || !any) {
      return 0;
    }
    long readable = anyThreadOnly ? anyThread : -1L;
    long mask = 0;
    for (int i = 0; i < GAUGES.length; i++) {
      LongSupplier g = GAUGES[i];
      if (g == null || (readable & (1L << i)) == 0) {
        continue;
      }
      try {
        long v = g.getAsLong();
        if (v >= 0) { // a level is never negative: NOT_MEASURED
          slots[base + i] = v;
          mask |= 1L << i;
        }
      } catch (Throwable t) {
        remove(i, g, t);
      }
    }
    return mask;
  }

  private static synchronized void remove(int series, LongSupplier g, Throwable t) {
    if (GAUGES[series] == g) {
      GAUGES[series] = null;
      System.err.println("mltrace: memory series " + MemorySlots.name(series) + " is off: " + t);
    }
  }

  private MemoryGauges() {}
}
