package io.mltrace.exporters.otel;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Prints a warning at most once per interval, so that an exporter outage gives one line a minute, not one per
 * batch. Thread-safe.
 */
final class RateLimitedWarning {
  static final long ONE_MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

  private final PrintStream out;
  private final LongSupplier nanoClock;
  private final long intervalNs;
  private long lastNs;
  private boolean printedOnce;
  private long printed;

  RateLimitedWarning(PrintStream out, LongSupplier nanoClock, long intervalNs) {
    this.out = out;
    this.nanoClock = nanoClock;
    this.intervalNs = intervalNs;
  }

  /** Prints {@code line} unless a line was printed less than the interval ago; returns whether it printed. */
  synchronized boolean warn(String line) {
    long now = nanoClock.getAsLong();
    if (printedOnce && now - lastNs < intervalNs) {
      return false;
    }
    printedOnce = true;
    lastNs = now;
    printed++;
    out.println(line);
    return true;
  }

  synchronized long printed() {
    return printed;
  }
}
