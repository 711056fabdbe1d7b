package io.mltrace.examples.groundtruth;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * A collection that certainly ran. Why: {@code System.gc()} is a request; HotSpot skips it when a JNI critical
 * section holds the GC locker or another collection came first, and returns in microseconds (measured: 36 us in a
 * step whose other forced GCs took 30 ms, under load). A test that injects "a forced GC" as ground truth needs the
 * collection itself, so this asks again until the JVM's collection count moves.
 */
public final class ForcedGc {
  /** At most this many requests; a JVM that ignores them all (-XX:+DisableExplicitGC) is not waited on forever. */
  static final int MAX_REQUESTS = 5;

  private ForcedGc() {}

  /** Requests collections until one ran; returns how many requests that took (MAX_REQUESTS + 1 if none ran). */
  public static int collect() {
    long before = collections();
    for (int i = 1; i <= MAX_REQUESTS; i++) {
      System.gc();
      if (collections() > before) {
        return i;
      }
    }
    return MAX_REQUESTS + 1;
  }

  private static long collections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }
}
