package io.mltrace.agent;

import io.mltrace.collector.Collector;
import io.mltrace.jfr.JfrSource;

/** What the agent does when a job launched with it ends by returning from {@code main}. */
final class MainExit {
  private MainExit() {}

  /**
   * When the application's main thread returns, drains once before the JVM may begin its shutdown. Why: shutdown
   * hooks run concurrently, and the JVM's own JFR hook stops recordings (the {@code jfr=} file) at once; a
   * non-daemon thread delays the start of shutdown until it ends, so the last steps reach the early sinks first.
   * Bounded: it never outlives the main thread by more than one drain.
   *
   * <p>When nothing but daemon threads is left, the job is done and the JVM is about to exit: the JVM events of its
   * last steps are then read from a dump of the JFR recording ({@link JfrSource#finish()}) instead of waiting up to
   * a second for the stream's next delivery, and the drain closes every step.
   */
  static void drainWhenMainReturns(Thread main, Collector collector, JfrSource jvm) {
    Thread watcher = new Thread(() -> {
      try {
        main.join();
        StartupLog.mark("main returned");
        if (jvm != null && onlyDaemonsLeft()) {
          StartupLog.mark("JVM events " + (jvm.finish() ? "read from a dump" : "left to the ending stream"));
        }
        collector.drainOnce();
        StartupLog.mark("last steps drained");
      } catch (Throwable ignored) {
        // Exiting is what matters here.
      }
    }, "mltrace-main-exit");
    watcher.setDaemon(false);
    watcher.start();
  }

  /** Whether every live thread but this one is a daemon (the JVM's own DestroyJavaVM thread aside). */
  private static boolean onlyDaemonsLeft() {
    Thread self = Thread.currentThread();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t != self && t.isAlive() && !t.isDaemon() && !t.getName().equals("DestroyJavaVM")) {
        return false;
      }
    }
    return true;
  }
}
