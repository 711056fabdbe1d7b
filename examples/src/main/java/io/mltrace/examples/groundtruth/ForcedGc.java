package io.mltrace.examples.groundtruth;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * A collection that certainly ran. Why: {@code System.gc()} is a request; HotSpot skips it when a JNI critical
 * section holds the GC locker or another collection came first, and returns in microseconds (measured: 36 us in a
 * step whose other forced GCs took 30 ms, under load). A test that injects "a forced GC" as ground truth needs the
 * collection itself, so this asks again until the JVM says that a collection with the cause {@code System.gc()} ran.
 *
 * <p>The JVM's collection count alone is not that proof: when G1 drops a full collection because the GC locker is
 * held, the locker's release runs a young collection ("GCLocker Initiated GC"), which moves the count. A clean-clone
 * CI run found one forced step without its {@code System.gc()} pause in the JVM's own recording that way. The cause
 * comes with the collection's notification, which the JVM's service thread sends shortly after the collection ends:
 * each request waits for the notifications of the collections that ran meanwhile, and asks again unless one of them
 * was {@code System.gc()}'s.
 */
public final class ForcedGc {
  /** At most this many requests; a JVM that ignores them all (-XX:+DisableExplicitGC) is not waited on forever. */
  static final int MAX_REQUESTS = 20;

  /** How long one request waits for the notifications of the collections that ran meanwhile. */
  static final long NOTIFICATION_WAIT_MILLIS = 2000;

  static final String SYSTEM_GC = "System.gc()";

  private static final AtomicLong EXPLICIT = new AtomicLong();
  private static final AtomicLong NOTIFIED = new AtomicLong();
  private static final Object LOCK = new Object();
  /** Collections that ran before the listeners were added: never announced to them. */
  private static final long UNANNOUNCED;

  static {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter) {
        ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
          if (!n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
            return;
          }
          GarbageCollectionNotificationInfo info =
              GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
          synchronized (LOCK) {
            if (SYSTEM_GC.equals(info.getGcCause())) {
              EXPLICIT.incrementAndGet();
            }
            NOTIFIED.incrementAndGet();
            LOCK.notifyAll();
          }
        }, null, null);
      }
    }
    synchronized (LOCK) {
      UNANNOUNCED = collections() - NOTIFIED.get();
    }
  }

  private ForcedGc() {}

  /**
   * Requests collections until one with the cause {@code System.gc()} ran; returns how many requests that took
   * (MAX_REQUESTS + 1 if none ran).
   */
  public static int collect() {
    long explicitBefore = EXPLICIT.get();
    for (int i = 1; i <= MAX_REQUESTS; i++) {
      long before = collections();
      System.gc();
      long after = collections();
      // Done when a System.gc() collection is announced; asks again only once every collection counted so far was
      // announced without one. Not "as many announcements as collections ran during the request": a collection
      // counted before it (the GC locker's young one, after the previous request) may be announced only now, and,
      // taken for this request's, it made a request that did collect ask again (21 collections for 20 calls, once
      // in a clean-clone CI run).
      if (after > before && awaitExplicitOrAll(after - UNANNOUNCED, explicitBefore)) {
        return i;
      }
      // Nothing ran, or only other collections (the GC locker's): ask again.
    }
    return MAX_REQUESTS + 1;
  }

  /** How many collections with the cause {@code System.gc()} this JVM has announced since this class loaded. */
  static long explicitCollections() {
    return EXPLICIT.get();
  }

  /**
   * Waits until a collection with the cause {@code System.gc()} was announced since {@code explicitBefore} (true), or
   * until {@code count} collections were, none of them that one, or the wait ran out (false).
   */
  private static boolean awaitExplicitOrAll(long count, long explicitBefore) {
    long deadline = System.nanoTime() + NOTIFICATION_WAIT_MILLIS * 1_000_000L;
    synchronized (LOCK) {
      while (EXPLICIT.get() == explicitBefore && NOTIFIED.get() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          LOCK.wait(Math.max(1, left / 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return EXPLICIT.get() != explicitBefore;
    }
  }

  private static long collections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }
}
