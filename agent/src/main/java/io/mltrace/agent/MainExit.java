package io.mltrace.agent;

import io.mltrace.bootstrap.HotPathWarmUp;
import io.mltrace.collector.Collector;
import io.mltrace.jfr.JfrSource;
import java.util.function.Supplier;

/**
 * What the agent does when a job ends: when {@code main} returns (a job launched with the agent), and, shared with the
 * exit entry woven into {@code Shutdown.exit} ({@code ShutdownHookIn}), reading the rest before the shutdown hooks.
 */
final class MainExit {
  private MainExit() {}

  /**
   * When the application's main thread returns, drains once before the JVM may begin its shutdown. Why: shutdown
   * hooks run concurrently, and the JVM's own JFR hook stops recordings (the {@code jfr=} file) at once; a
   * non-daemon thread delays the start of shutdown until it ends, so the last steps reach the early sinks first.
   * Bounded: it never outlives the main thread by more than one drain (and, where main was quicker than the
   * collector's build beside it at launch, that build's end: tens of milliseconds).
   *
   * <p>When nothing but daemon threads is left, the job is done and the JVM is about to exit: the JVM events of its
   * last steps are then read from a dump of the JFR recording ({@link JfrSource#finish()}) instead of waiting up to
   * a second for the stream's next delivery, and the drain closes every step.
   */
  static void drainWhenMainReturns(Thread main, Supplier<Collector> started, JfrSource jvm) {
    Thread watcher = new Thread(() -> {
      try {
        main.join();
        StartupLog.mark("main returned");
        Collector collector = started.get(); // built beside the job at launch: waits for it if main was that quick
        if (collector == null) {
          return;
        }
        if (onlyDaemonsLeft()) {
          drainTheRest(collector, jvm);
        } else {
          collector.drainOnce();
        }
        StartupLog.mark("last steps drained");
      } catch (Throwable ignored) {
        // Exiting is what matters here.
      }
    }, "mltrace-main-exit");
    watcher.setDaemon(false);
    watcher.start();
  }

  /**
   * The job is ending (main returned with nothing else left, or {@code System.exit} or a signal entered
   * {@code Shutdown.exit}) and the JVM's shutdown hooks have not run: the JVM events recorded until now are read from
   * a dump of the recording ({@link JfrSource#finish()}; the stream's next delivery would come up to a second later,
   * and the JVM's JFR hook may stop the recording first), then one drain hands every step closed so far to the early
   * sinks (the JFR events of {@code jfr=}) while the recordings still run.
   */
  static void drainTheRest(Collector collector, JfrSource jvm) {
    HotPathWarmUp.stop(); // its CPU would slow the exit's own work
    if (jvm != null) {
      StartupLog.mark("JVM events " + (jvm.finish() ? "read from a dump" : "left to the ending stream"));
    }
    collector.endJitYield(); // nothing is left to yield to, and the early sinks must get every step now
    collector.drainOnce();
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
