package io.mltrace.agent.memory;

import io.mltrace.bootstrap.MemoryGauges;
import java.lang.management.ManagementFactory;

/**
 * Installs the per-thread heap allocation counter ({@code com.sun.management.ThreadMXBean}) as the bridge's
 * reading of {@link io.mltrace.bootstrap.MemorySlots#HEAP_ALLOCATED_BYTES}: the JVM keeps the count per thread
 * anyway (TLAB refills), so a step pays two reads of it.
 */
public final class HeapAllocation {
  /**
   * Installs the reading on a short-lived daemon thread: the management classes take tens of milliseconds to load,
   * which start-up should not pay. Steps that open before it is installed have no heap allocation.
   */
  public static void installInBackground() {
    Thread t = new Thread(HeapAllocation::install, "mltrace-memory-init");
    t.setDaemon(true);
    t.start();
  }

  /** Installs the reading now; false (and one line on stderr) when this JVM cannot count allocation per thread. */
  static boolean install() {
    try {
      java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
      if (!(bean instanceof com.sun.management.ThreadMXBean)) {
        System.err.println("mltrace: heap allocation per step is off: this JVM has no per-thread allocation counter");
        return false;
      }
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
      if (!threads.isThreadAllocatedMemorySupported()) {
        System.err.println("mltrace: heap allocation per step is off: this JVM has no per-thread allocation counter");
        return false;
      }
      if (!threads.isThreadAllocatedMemoryEnabled()) {
        threads.setThreadAllocatedMemoryEnabled(true);
      }
      MemoryGauges.installThreadAllocation(threads::getCurrentThreadAllocatedBytes);
      return true;
    } catch (RuntimeException | LinkageError e) {
      System.err.println("mltrace: heap allocation per step is off: " + e);
      return false;
    }
  }

  private HeapAllocation() {}
}
