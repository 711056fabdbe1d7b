package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import java.util.function.LongSupplier;

/**
 * ND4J's memory levels as {@link MemoryGauges}, read on the training thread when a step closes:
 * <ul>
 *   <li>{@link MemorySlots#OFFHEAP_BYTES}: ND4J's {@code MemoryManager.allocatedMemory(0)}, which is JavaCPP's
 *       {@code Pointer.totalBytes()} plus ND4J's {@code AllocationsTracker} (workspaces, constant and shape
 *       buffers): counters, no system call. JavaCPP's count alone misses ND4J's workspaces, which libnd4j
 *       allocates; neither sees the data buffers libnd4j allocates outside workspaces (those are the
 *       {@link MemorySlots#DETACHED_ALLOC_BYTES} flow). Process-wide counters, so any thread may read them
 *       ({@link MemoryGauges#installAnyThread}): the agent's warm-up thread then compiles ND4J's reading early, which a
 *       training thread, reading it once a step, would leave interpreted or in C1 for its first thousands of steps
 *       (about 3 µs a DL4J step by profile, where compiled it is a fraction of one).</li>
 *   <li>{@link MemorySlots#WORKSPACE_BYTES}: the sizes of the calling thread's ND4J workspaces
 *       ({@code MemoryWorkspace.getCurrentSize()}); workspaces belong to a thread, and the gauge runs on the step's
 *       own.</li>
 *   <li>{@link MemorySlots#PHYSICAL_BYTES}: JavaCPP's {@code Pointer.physicalBytes()}, the process's resident
 *       memory. It reads {@code /proc} through JNI (10-20 µs a reading on a training thread by profile), so a step
 *       reads it only when {@link #PHYSICAL_EVERY_NS} has passed since the last reading; the other steps go without
 *       (a sparse level, like the heap after a GC).</li>
 * </ul>
 * Installing starts a short-lived thread (the caller is a class transformation, which must not load classes) that
 * checks that the agent's class loader sees the ND4J of the loader DL4J's hooks applied in, loading without
 * initialising, then installs the gauges ({@link Nd4jLevels}: direct calls, first made when a step closes, once the
 * job has initialised ND4J). A job whose ND4J the agent cannot see (a child class loader of its own) goes without
 * these levels, with one line on stderr.
 */
final class Dl4jMemory {
  /** At most one reading of the resident memory per this many ns, across the process's steps. */
  static final long PHYSICAL_EVERY_NS = 50_000_000L;
  private static final String ND4J = "org.nd4j.linalg.factory.Nd4j";

  private static boolean installing;

  private Dl4jMemory() {}

  /** Installs the three gauges in the background, once per process (the first loader with DL4J decides). */
  static synchronized void install(ClassLoader loader) {
    if (installing) {
      return;
    }
    installing = true;
    Thread t = new Thread(() -> installNow(loader), "mltrace-dl4j-memory");
    t.setDaemon(true);
    t.start();
  }

  /** Installs the gauges when the agent sees {@code loader}'s ND4J; false (one line on stderr) otherwise. */
  static boolean installNow(ClassLoader loader) {
    try {
      ClassLoader own = Dl4jMemory.class.getClassLoader();
      if (Class.forName(ND4J, false, loader) != Class.forName(ND4J, false, own)) {
        System.err.println("mltrace: ND4J's memory levels are off: the job's ND4J is in a class loader the agent"
            + " does not see");
        return false;
      }
      MemoryGauges.installAnyThread(MemorySlots.OFFHEAP_BYTES, Nd4jLevels::offheap);
      MemoryGauges.install(MemorySlots.WORKSPACE_BYTES, Nd4jLevels::workspaces);
      MemoryGauges.install(MemorySlots.PHYSICAL_BYTES, new Throttled(PHYSICAL_EVERY_NS, Nd4jLevels::physical));
      return true;
    } catch (ClassNotFoundException | RuntimeException | LinkageError e) {
      System.err.println("mltrace: ND4J's memory levels are off: " + e);
      return false;
    }
  }

  /**
   * A costly gauge read at most every {@code everyNs}; in between it reports {@link MemoryGauges#NOT_MEASURED}.
   * Racy on purpose: two threads closing steps at once may both read; a count is not what it protects.
   */
  static final class Throttled implements LongSupplier {
    private final long everyNs;
    private final LongSupplier gauge;
    private volatile long nextNs = Long.MIN_VALUE;

    Throttled(long everyNs, LongSupplier gauge) {
      this.everyNs = everyNs;
      this.gauge = gauge;
    }

    @Override
    public long getAsLong() {
      long now = System.nanoTime();
      if (nextNs != Long.MIN_VALUE && now - nextNs < 0) {
        return MemoryGauges.NOT_MEASURED;
      }
      nextNs = now + everyNs;
      return gauge.getAsLong();
    }
  }
}
