package io.mltrace.agent;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's own start-up and exit phases with their times ({@code startup_log=true}), in the spirit of
 * {@code -Xlog:startuptime}: one stderr line per phase, milliseconds since {@code premain} was entered, and the
 * thread that ran it. Marks made before the options are read are kept and printed once logging is known to be on.
 */
final class StartupLog {
  private static final long ORIGIN = System.nanoTime();
  /** Marks made before the options were read: when, what, which thread; formatted only if logging is on. */
  private static final List<Object[]> EARLY = new ArrayList<>();
  private static volatile boolean enabled;
  private static volatile boolean decided;
  private static PrintStream out = System.err;

  private StartupLog() {}

  /** Called first thing in {@code premain}, so that {@link #ORIGIN} is the agent's own start. */
  static void begin() {
    mark("premain entered");
  }

  /** Turns logging on or off; on prints the marks made so far. */
  static synchronized void enable(boolean on, PrintStream stream) {
    out = stream;
    enabled = on;
    decided = true;
    if (on) {
      for (Object[] m : EARLY) {
        out.println(line((Long) m[0] - ORIGIN, (String) m[1], (String) m[2]));
      }
    }
    EARLY.clear();
  }

  static void mark(String phase) {
    if (decided && !enabled) {
      return;
    }
    long at = System.nanoTime();
    String thread = Thread.currentThread().getName();
    synchronized (StartupLog.class) {
      if (!decided) {
        // Not formatted yet: java.util.Formatter's first use costs about 13 ms on the application's thread, for a
        // log that is off unless asked for.
        EARLY.add(new Object[] {at, phase, thread});
      } else if (enabled) {
        out.println(line(at - ORIGIN, phase, thread));
      }
    }
  }

  /**
   * {@code mltrace startup:   1234.5 ms  phase  [thread]}. Built by hand: {@code String.format} with a float cost
   * 10-13 ms of premain on its first use (Formatter and the floating-point classes loaded and interpreted), which
   * the log's own timings then included.
   */
  static String line(long sinceOriginNanos, String phase, String thread) {
    long tenths = Math.max(0, sinceOriginNanos / 100_000);
    String millis = Long.toString(tenths / 10) + '.' + (char) ('0' + tenths % 10);
    StringBuilder b = new StringBuilder(48 + phase.length()).append("mltrace startup: ");
    for (int pad = 8 - millis.length(); pad > 0; pad--) {
      b.append(' ');
    }
    return b.append(millis).append(" ms  ").append(phase).append("  [").append(thread).append(']').toString();
  }
}
