package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class StartupLogTest {
  @Test
  void aLineReadsAsTheFormattedOneItReplaced() {
    // The tests and scripts that read startup_log lines parse "%8.1f ms" (ExitWaitIT, benchmarks/edges.sh).
    long[] nanos = {0, 49_999, 50_000, 99_999, 100_000, 1_234_567, 37_300_000, 999_960_000, 1_115_249_999L,
        12_345_678_901L, 123_456_789_012L};
    for (long n : nanos) {
      // Tenths are cut, not rounded: compare with the formatted value of the cut number.
      double cut = (n / 100_000) / 10.0;
      String expected = String.format(Locale.ROOT, "mltrace startup: %8.1f ms  %s  [%s]", cut, "hooks installed", "main");
      assertEquals(expected, StartupLog.line(n, "hooks installed", "main"), "at " + n + " ns");
    }
  }

  @Test
  void aClockReadBeforeTheOriginReadsZero() {
    assertEquals("mltrace startup:      0.0 ms  x  [t]", StartupLog.line(-5, "x", "t"));
  }
}
