package io.mltrace.bootstrap;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds back the first step of each thread until the agent's JVM events are recorded, so that JFR can start beside
 * the application instead of before it: premain no longer waits the 0.2-0.3 s of JFR's own initialization, and no
 * step opens before the recording runs (its GC pauses and safepoints would be missing). A job reaches its first step
 * later than JFR starts (DJL and ND4J load their engines first), so the gate is open by then and costs one volatile
 * read per step opened; a job that comes sooner waits there, before its step starts, never inside one.
 *
 * <p>Bounded: a thread waits at most the bound given to {@link #hold}; after that, or when the agent releases it, the
 * gate is open for good. An interrupted thread goes on at once and keeps its interrupt.
 */
public final class StepGate {
  private static volatile CountDownLatch held;
  private static volatile long boundMillis;
  /** How long threads waited in all, in ns (a start-up figure for the agent's log). */
  private static volatile long waitedNanos;
  private static volatile boolean stepReached;
  private static final CountDownLatch FIRST_STEP = new CountDownLatch(1);

  private StepGate() {}

  /** Closes the gate until {@link #release()}, or for at most {@code boundMillis} of any thread's wait. */
  public static void hold(long boundMillis) {
    StepGate.boundMillis = boundMillis;
    held = new CountDownLatch(1);
  }

  /** Opens the gate for good. */
  public static void release() {
    CountDownLatch l = held;
    held = null;
    if (l != null) {
      l.countDown();
    }
  }

  public static boolean isHeld() {
    return held != null;
  }

  public static long waitedNanos() {
    return waitedNanos;
  }

  /**
   * Waits until some thread reached its first step (passed this gate), at most {@code millis}; true when one did.
   * For the agent's start-up work that may come later but should not delay the first step.
   */
  public static boolean awaitFirstStep(long millis) {
    try {
      return FIRST_STEP.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether some thread reached its first step. Visible for tests. */
  static boolean firstStepReached() {
    return stepReached;
  }

  /** Waits until the gate opens, at most its bound; true when this thread waited at all. */
  static boolean pass() {
    if (!stepReached) { // a volatile read per step opened; written once
      stepReached = true;
      FIRST_STEP.countDown();
    }
    CountDownLatch l = held;
    if (l == null) {
      return false;
    }
    long t0 = System.nanoTime();
    try {
      if (!l.await(boundMillis, TimeUnit.MILLISECONDS)) {
        release(); // the bound passed: the steps go on without the JVM events' first moments
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (StepGate.class) {
      waitedNanos += System.nanoTime() - t0;
    }
    return true;
  }
}
