package io.mltrace.agent.control;

import java.util.concurrent.locks.LockSupport;

/**
 * A daemon thread that sleeps {@link #TICK_NANOS} at a time and keeps the longest lateness of its wake-ups: a
 * stop-the-world pause holds it back until the pause ends. Runs only while an attach retransforms classes.
 */
final class PauseProbe implements Runnable {
  static final long TICK_NANOS = 200_000;

  private volatile boolean running = true;
  private volatile long longestLateNs;
  private volatile boolean resetRequested;
  private volatile long wakeUps;
  private final Thread thread;

  private PauseProbe() {
    thread = new Thread(this, "mltrace-pause-probe");
    thread.setDaemon(true);
  }

  static PauseProbe start() {
    PauseProbe p = new PauseProbe();
    p.thread.start();
    return p;
  }

  @Override
  public void run() {
    long longest = 0;
    long before = System.nanoTime();
    while (running) {
      LockSupport.parkNanos(TICK_NANOS);
      long now = System.nanoTime();
      long late = now - before - TICK_NANOS;
      // The next interval starts where this one ended: a pause that stops this thread while it runs (not only
      // while it sleeps) still falls inside a measured interval.
      before = now;
      if (resetRequested) {
        resetRequested = false;
        longest = 0;
      }
      if (late > longest) {
        longest = late;
        longestLateNs = late;
      }
      wakeUps++;
    }
  }

  /** Starts a new measurement (a batch begins). */
  void reset() {
    longestLateNs = 0;
    resetRequested = true;
  }

  /**
   * The longest lateness since {@link #reset}, after waiting for two more wake-ups (at most 200 ms on a loaded
   * machine), so that a wake-up held back by the batch's pause has been counted.
   */
  long settle() {
    long seen = wakeUps;
    long deadline = System.nanoTime() + 200_000_000L;
    while (wakeUps < seen + 2 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TICK_NANOS);
    }
    return longestLateNs;
  }

  void stop() {
    running = false;
  }
}
