package io.mltrace.bootstrap;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Called first thing in {@code java.lang.Shutdown.exit(int)}: the path of {@code System.exit}, {@code Runtime.exit}
 * and of a termination signal (SIGTERM, SIGINT, SIGHUP), on the thread that ends the JVM, before the JVM runs any
 * shutdown hook. Why: the hooks run concurrently, and the JVM's own JFR hook stops the recordings; work done here
 * (reading the last JVM events from a dump, handing the last steps to the JFR events) precedes that race instead of
 * joining it. A job whose main returns does not come here (its agent watches the main thread instead).
 *
 * <p>Runs the installed action once per JVM, for the thread that comes first, and never longer than
 * {@link #BOUND_MILLIS}: on a daemon thread of its own that the caller waits for, so that an action that hangs (a
 * stuck disk under the JFR dump) delays the JVM's end by that bound at most. Never throws into the caller.
 */
public final class ShutdownEntry {
  /** The longest the JVM's end waits for the action (it takes 30-100 ms: a dump of the recording and a drain). */
  public static final long BOUND_MILLIS = 3000;

  private static volatile Runnable action;
  private static final AtomicBoolean RAN = new AtomicBoolean();

  private ShutdownEntry() {}

  /** What to run before the shutdown hooks (null: nothing). */
  public static void install(Runnable beforeHooks) {
    action = beforeHooks;
  }

  /** Whether the action has run (or is running): the JVM is ending through {@code Shutdown.exit}. */
  public static boolean entered() {
    return RAN.get();
  }

  /** The call woven into {@code Shutdown.exit}. */
  public static void beforeShutdown() {
    runOnce(action, RAN, BOUND_MILLIS);
  }

  /** The action, unless {@code ran} says it ran, waited for at most {@code boundMillis}. */
  static void runOnce(Runnable a, AtomicBoolean ran, long boundMillis) {
    if (a == null || !ran.compareAndSet(false, true)) {
      return; // a second exit (another thread, or a hook calling System.exit) must not wait for the first
    }
    try {
      Thread t = new Thread(() -> {
        try {
          a.run();
        } catch (Throwable ignored) {
          // The JVM is ending: nothing the agent failed to do here may change how.
        }
      }, "mltrace-before-shutdown");
      t.setDaemon(true);
      t.start();
      t.join(boundMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the exit goes on; the caller keeps its interrupt
    } catch (Throwable ignored) {
      // No thread could be started (out of memory, too many threads): the exit goes on without the action.
    }
  }
}
