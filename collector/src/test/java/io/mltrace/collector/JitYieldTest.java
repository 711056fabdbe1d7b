package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The hold's rules, on a made-up clock and made-up compilers. */
class JitYieldTest {
  private static final long MS = 1_000_000L;
  private static final long WINDOW = JitYield.WINDOW_NANOS;

  private final AtomicLong compiledMillis = new AtomicLong();

  private JitYield hold(long maxHoldNanos, int maxRecords) {
    return new JitYield(maxHoldNanos, maxRecords, compiledMillis::get);
  }

  @Test
  void startsWithTheFirstRecordsNotBefore() {
    JitYield y = hold(5_000 * MS, 1000);
    assertFalse(y.holds(0, 0, 0), "nothing recorded: nothing to hold");
    assertFalse(y.over(), "... and the hold has not started, so it still may");
    assertTrue(y.holds(10 * MS, 0, 3));
    // the bound counts from the first records, not from the first call
    compiledMillis.addAndGet(5_000);
    assertTrue(y.holds(10 * MS + 5_000 * MS - 1, 3, 0));
    assertFalse(y.holds(10 * MS + 5_000 * MS, 3, 0));
    assertEquals("bound", y.endedBy());
  }

  @Test
  void goesOnWhileTheCompilersAreBusyAndEndsAfterTwoQuietWindowsInARow() {
    JitYield y = hold(3_600_000 * MS, 1_000_000);
    long now = 0;
    long held = 0;
    assertTrue(y.holds(now, held, 1));
    // busy: the compilers spend half of each window compiling, and the job writes many records
    for (int i = 0; i < 5; i++) {
      now += WINDOW;
      held += 3000;
      compiledMillis.addAndGet(WINDOW / MS / 2);
      assertTrue(y.holds(now, held, 1), "busy window " + i);
    }
    // one quiet window between busy ones is a lull, not the end
    now += WINDOW;
    held += 3000;
    assertTrue(y.holds(now, held, 1), "a single quiet window");
    now += WINDOW;
    held += 3000;
    compiledMillis.addAndGet(WINDOW / MS / 2);
    assertTrue(y.holds(now, held, 1), "busy again");
    // two quiet windows in a row (under a tenth of each compiling) end it
    now += WINDOW;
    held += 3000;
    compiledMillis.addAndGet(WINDOW / MS / 20);
    assertTrue(y.holds(now, held, 1));
    now += WINDOW;
    held += 3000;
    assertFalse(y.holds(now, held, 1));
    assertTrue(y.over());
    assertEquals("quiet", y.endedBy());
    compiledMillis.addAndGet(WINDOW / MS * 10);
    assertFalse(y.holds(now + WINDOW, held, 1), "once over, never again");
  }

  @Test
  void endsAfterTwoWindowsInARowThatBroughtFewRecords() {
    JitYield y = hold(3_600_000 * MS, 1_000_000);
    long now = 0;
    long held = 0;
    assertTrue(y.holds(now, held, 10));
    // the compilers stay busy throughout; the job's steps are slow (a Spark executor's, say)
    for (int i = 0; i < 3; i++) {
      now += WINDOW;
      held += i == 1 ? JitYield.FEW_RECORDS - 1 : 5000; // a single sparse window is not enough
      compiledMillis.addAndGet(WINDOW / MS);
      assertTrue(y.holds(now, held, 0), "window " + i);
    }
    now += WINDOW;
    held += JitYield.FEW_RECORDS - 1;
    compiledMillis.addAndGet(WINDOW / MS);
    assertTrue(y.holds(now, held, 0));
    now += WINDOW;
    held += 10;
    compiledMillis.addAndGet(WINDOW / MS);
    assertFalse(y.holds(now, held, 0));
    assertEquals("few", y.endedBy());
  }

  @Test
  void neverLongerThanItsBound() {
    JitYield y = hold(1_000 * MS, 1_000_000);
    assertTrue(y.holds(0, 0, 1));
    long now = 0;
    long held = 0;
    while (now < 1_000 * MS - WINDOW) {
      now += WINDOW / 2;
      held += 2000;
      compiledMillis.addAndGet(WINDOW / MS);
      assertTrue(y.holds(now, held, 1), "busy at " + now / MS + " ms");
    }
    assertFalse(y.holds(1_000 * MS, held, 1));
    assertEquals("bound", y.endedBy());
  }

  @Test
  void neverHoldsMoreRecordsThanItsCap() {
    JitYield y = hold(3_600_000 * MS, 100);
    assertTrue(y.holds(0, 0, 60));
    assertTrue(y.holds(MS, 60, 40), "exactly the cap");
    assertFalse(y.holds(2 * MS, 100, 1));
    assertEquals("cap", y.endedBy());
  }

  @Test
  void compilersThatCannotTellEndItAtOnce() {
    JitYield unknown = new JitYield(3_600_000 * MS, 1000, () -> -1);
    assertFalse(unknown.holds(0, 0, 1));
    assertEquals("unknown", unknown.endedBy());

    JitYield failing = new JitYield(3_600_000 * MS, 1000, () -> {
      throw new IllegalStateException("no compilation time here");
    });
    assertFalse(failing.holds(0, 0, 1));
    assertTrue(failing.over());
  }

  @Test
  void theRunsEndEndsIt() {
    JitYield y = hold(3_600_000 * MS, 1000);
    assertTrue(y.holds(0, 0, 1));
    y.release();
    assertFalse(y.holds(MS, 1, 1));
    assertEquals("end", y.endedBy());
  }
}
