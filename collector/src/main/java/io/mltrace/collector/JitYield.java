package io.mltrace.collector;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Whether the collector holds its analysis back because the JVM's JIT compilers are busy with the job's warm-up.
 *
 * <p>Why: the collector's per-step analysis is hot code of its own. Run from the first step, it is compiled by C2
 * while the job's own methods wait in the same queue; on a machine with few cores the DJL example's hot methods then
 * reach C2 more than a second later, and its steps 1000-4000 run about 1.09x (docs/benchmarks.md, issue 22). Held,
 * the analysis runs once the compilers have gone quiet, its own compilation after the job's.
 *
 * <p>The hold starts with the first records, ends for good when the compilers spent less than a tenth of two windows
 * in a row (250 ms each) compiling, or when two windows in a row brought few records, and never lasts longer than its
 * bound or holds more records than its cap. Not thread-safe: the
 * collector calls it under its lock.
 */
final class JitYield {
  static final long WINDOW_NANOS = 250_000_000L;
  /** Compiling less than this share of a window is quiet. */
  static final double QUIET_SHARE = 0.1;
  /**
   * Quiet windows in a row that end the hold: a warm-up has lulls of one window between its waves of compilation
   * (the DJL example, 2 CPUs), so one is not enough.
   */
  static final int QUIET_WINDOWS = 2;
  /**
   * Fewer records than this in each of two windows in a row also end the hold: steps that few are no load for the
   * collector's code, and holding them would only delay what a job of slow steps shows (a Spark executor that lives
   * a few seconds would end before its metrics were ever scraped). 1,000 records a second: the DJL example writes
   * about 13,000.
   */
  static final long FEW_RECORDS = 250;

  private final long maxHoldNanos;
  private final int maxRecords;
  private final LongSupplier compileMillis;
  private long startedAt = -1;
  private long windowStart;
  private long windowCompileMillis;
  private int quietWindows;
  private int fewWindows;
  private long windowRecords;
  private boolean released;
  private String why = "";

  /**
   * @param compileMillis the compilers' total time so far, in milliseconds, never decreasing; a negative value: not
   *     known (the hold then ends at once)
   */
  JitYield(long maxHoldNanos, int maxRecords, LongSupplier compileMillis) {
    this.maxHoldNanos = maxHoldNanos;
    this.maxRecords = maxRecords;
    this.compileMillis = compileMillis;
  }

  /** A hold of at most {@code maxHoldNanos} and {@code maxRecords}, watching this JVM's compilers; null: not known. */
  static JitYield ofThisJvm(long maxHoldNanos, int maxRecords) {
    try {
      CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
      if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
        return null;
      }
      return new JitYield(maxHoldNanos, maxRecords, jit::getTotalCompilationTime);
    } catch (Throwable e) {
      return null; // no java.management, or a JVM without the bean: the collector never holds
    }
  }

  /**
   * True while the analysis should wait: {@code held} records are held now and {@code pending} more are about to
   * be. False before the first records (the hold has not started) and, once it has ended ({@link #over}), always.
   */
  boolean holds(long now, long held, long pending) {
    if (released) {
      return false;
    }
    if (startedAt < 0) {
      if (pending == 0) {
        return false; // nothing recorded yet: nothing to hold, and the bound starts with the first records
      }
      startedAt = now;
      windowStart = now;
      windowRecords = held + pending;
      windowCompileMillis = compiled();
      return !released;
    }
    if (now - startedAt >= maxHoldNanos) {
      return release("bound");
    }
    if (held + pending > maxRecords) {
      return release("cap");
    }
    if (now - windowStart >= WINDOW_NANOS) {
      long c = compiled();
      if (released) {
        return false;
      }
      if ((c - windowCompileMillis) * 1_000_000.0 < QUIET_SHARE * (now - windowStart)) {
        if (++quietWindows >= QUIET_WINDOWS) {
          return release("quiet");
        }
      } else {
        quietWindows = 0;
      }
      if (held + pending - windowRecords < FEW_RECORDS * (now - windowStart) / WINDOW_NANOS) {
        if (++fewWindows >= QUIET_WINDOWS) {
          return release("few");
        }
      } else {
        fewWindows = 0;
      }
      windowStart = now;
      windowRecords = held + pending;
      windowCompileMillis = c;
    }
    return true;
  }

  /** True once the hold has ended (it never starts again). */
  boolean over() {
    return released;
  }

  /** Ends the hold for good (the run's end). */
  void release() {
    release("end");
  }

  /**
   * Why the hold ended ({@code quiet}, {@code few}, {@code bound}, {@code cap}, {@code end}, {@code unknown}); ""
   * while held.
   */
  String endedBy() {
    return why;
  }

  private long compiled() {
    long c;
    try {
      c = compileMillis.getAsLong();
    } catch (Throwable e) {
      c = -1;
    }
    if (c < 0) {
      release("unknown");
    }
    return c;
  }

  private boolean release(String reason) {
    if (!released) {
      released = true;
      why = reason;
    }
    return false;
  }
}
