package io.mltrace.bootstrap;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every thread that has recorded, and the look-up of the calling thread's {@link ThreadRecorder}.
 *
 * <p>Threads: {@link #local} is the hot path's, on the recording thread; {@link #threads} and {@link #forget} are
 * the collector's (one consumer); {@link #setRingCapacity} is the agent's, once at start, before recording is on.
 */
public final class ThreadRegistry {
  private static final List<ThreadRecorder> THREADS = new CopyOnWriteArrayList<>();
  /**
   * The same recorders as an array, replaced on each registration and removal: what a step's close iterates (the
   * live tensor level sums every thread's share) without the iterator a list would allocate there.
   */
  private static volatile ThreadRecorder[] registered = new ThreadRecorder[0];
  /** Registrations so far: a thread's index, never reused (THREADS shrinks as ended threads are forgotten). */
  private static final AtomicInteger REGISTERED = new AtomicInteger();
  private static volatile int ringCapacity = 8192;
  private static final ThreadLocal<ThreadRecorder> LOCAL = new ThreadLocal<ThreadRecorder>() {
    @Override
    protected ThreadRecorder initialValue() {
      ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), REGISTERED.getAndIncrement(), ringCapacity);
      synchronized (THREADS) {
        THREADS.add(tr);
        registered = THREADS.toArray(new ThreadRecorder[0]);
      }
      return tr;
    }
  };

  /**
   * The recorder of the training thread that looked its recorder up last. A hook checks it before the thread-local:
   * the thread-local map of a training thread is shared with the framework's own thread-locals (DJL's NDScope and
   * more), and its lookups kept missing the first probe ({@code getEntryAfterMiss} was the hooks' top frame in a
   * JFR profile of the DJL job). Only loop threads are cached, so a data-loading thread that runs hooks too does
   * not evict the training thread. A plain field: a thread that reads a stale recorder compares its thread id,
   * which is final, and falls back to the thread-local.
   */
  private static ThreadRecorder lastLoopRecorder;

  private ThreadRegistry() {}

  /** Records per thread ring (rounded down to a power of two); applies to threads that record for the first time. */
  public static void setRingCapacity(int records) {
    ringCapacity = records;
  }

  /** Every thread that has recorded so far (the collector drains and prunes them). */
  public static List<ThreadRecorder> threads() {
    return THREADS;
  }

  /** Every thread that has recorded so far, as an array not to be changed; read without allocating. Any thread. */
  static ThreadRecorder[] registered() {
    return registered;
  }

  /** Forgets a thread that has ended and been drained. Collector thread. */
  public static void forget(ThreadRecorder tr) {
    synchronized (THREADS) {
      THREADS.remove(tr);
      registered = THREADS.toArray(new ThreadRecorder[0]);
    }
    TensorLife.keepLiveShareOf(tr); // after the removal: a reading meanwhile misses it, never counts it twice
    if (lastLoopRecorder == tr) {
      lastLoopRecorder = null; // its ring (1.3 MB by default) is not kept alive by the cache
    }
  }

  /** The calling thread's recorder, created on its first call. */
  @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and the agent runs on 17
  static ThreadRecorder local() {
    ThreadRecorder last = lastLoopRecorder;
    if (last != null && last.threadId() == Thread.currentThread().getId()) {
      return last;
    }
    ThreadRecorder tr = LOCAL.get();
    if (tr.loopThread()) {
      lastLoopRecorder = tr;
    }
    return tr;
  }
}
