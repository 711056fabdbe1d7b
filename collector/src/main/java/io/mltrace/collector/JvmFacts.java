package io.mltrace.collector;

/**
 * What the JVM looked like when a step ended, sampled by the collector as it reads the step's record (within one
 * drain interval of the step's end, on the collector thread), so that every exporter shows the same values and
 * none samples on its own, seconds later.
 *
 * <p>The place for per-step memory facts: the heap today; allocation and native memory per step join it here.
 */
public final class JvmFacts {
  static final JvmFacts NONE = new JvmFacts(0, 0, 0);

  private final long sampledAtNs;
  private final long heapUsedBytes;
  private final long heapCommittedBytes;

  JvmFacts(long sampledAtNs, long heapUsedBytes, long heapCommittedBytes) {
    this.sampledAtNs = sampledAtNs;
    this.heapUsedBytes = heapUsedBytes;
    this.heapCommittedBytes = heapCommittedBytes;
  }

  /**
   * The facts now: {@link Runtime}'s view of the heap (two cheap calls, no safepoint). The two calls are not one
   * snapshot: the heap can grow or a collection can end between them, so free is read first (a heap that grows
   * afterwards makes "used" a little high, never negative) and the difference is clamped at zero (a heap that shrank
   * in between; seen with eight training threads on a 512 MB heap, where it wrote a negative heap into the trace).
   */
  static JvmFacts sample() {
    Runtime rt = Runtime.getRuntime();
    long free = rt.freeMemory();
    long committed = rt.totalMemory();
    return new JvmFacts(System.nanoTime(), Math.max(0, committed - free), committed);
  }

  /** When they were sampled ({@link System#nanoTime()}); 0 when not sampled. */
  public long sampledAtNs() {
    return sampledAtNs;
  }

  /** Heap in use (committed minus free). */
  public long heapUsedBytes() {
    return heapUsedBytes;
  }

  /** Heap committed by the JVM. */
  public long heapCommittedBytes() {
    return heapCommittedBytes;
  }
}
