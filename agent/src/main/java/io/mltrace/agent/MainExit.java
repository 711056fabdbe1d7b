package io.mltrace.agent;

import io.mltrace.bootstrap.HotPathWarmUp;
import io.mltrace.collector.Collector;
import io.mltrace.jfr.JfrSource;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
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
    collector.endJitYield(); // nothing is left to yield to, and the early sinks must get every step now
    if (jvm != null) {
      // The last events (a flush the stream reads: 10-20 ms; or a dump written, then parsed: 100-150 ms of a short
      // job's exit) are read on a thread of its own while this one replays the JIT hold's records and closes the
      // steps the stream already covered: the job's thread is done, so a CPU is free. Safe to overlap: a drain reads
      // each source's watermark before polling it, and a step closes only below the watermark (the last events raise
      // it only once they are queued).
      FutureTask<Boolean> read = new FutureTask<>(jvm::finish);
      Thread reader = new Thread(read, "mltrace-exit-read");
      reader.setDaemon(true);
      boolean readBeside = startedOrRun(reader, read);
      if (readBeside) {
        collector.drainOnce();
        StartupLog.mark("steps drained while the last JVM events are read");
      }
      StartupLog.mark("JVM events " + (!finished(read) ? "left to the ending stream"
          : jvm.finishedByFlush() ? "delivered after a flush" : "read from a dump"));
    }
    collector.drainOnce();
  }

  /** Starts {@code reader}; where no thread can be started (the JVM is too far in its exit), runs it here. */
  private static boolean startedOrRun(Thread reader, FutureTask<Boolean> read) {
    try {
      reader.start();
      return true;
    } catch (Throwable t) {
      read.run();
      return false;
    }
  }

  private static boolean finished(FutureTask<Boolean> read) {
    try {
      return read.get(); // JfrSource.finish is bounded by the dump and its parse; it never blocks on the job
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | RuntimeException e) {
      return false;
    }
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
