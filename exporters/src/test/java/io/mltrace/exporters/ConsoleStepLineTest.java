package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The console's step line is built by hand (see {@link ConsoleReporter#stepLine}); it must read as the formatter's. */
class ConsoleStepLineTest {
  @Test
  void millisecondsReadAsTheFormattersThreeDecimals() {
    long[] edges = {0, 1, 499, 500, 501, 999, 1_000, 1_499, 1_500, 999_499, 999_500, 1_000_000, 12_345_678,
        -1_500, -2_345_678, 86_400_000_000_000L};
    for (long ns : edges) {
      assertEquals(String.format(Locale.ROOT, "%.3f", ns / 1e6),
          ConsoleReporter.appendFixed(new StringBuilder(), ns, 1_000_000, 3).toString(), "ns=" + ns);
    }
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      long ns = random.nextLong(0, 10_000_000_000L);
      assertEquals(String.format(Locale.ROOT, "%.3f", ns / 1e6),
          ConsoleReporter.appendFixed(new StringBuilder(), ns, 1_000_000, 3).toString(), "ns=" + ns);
    }
  }

  @Test
  void sharesReadAsTheFormattersOneDecimal() {
    SplittableRandom random = new SplittableRandom(11);
    assertEquals("0.0", ConsoleReporter.appendPercent(new StringBuilder(), 5, 0).toString());
    assertEquals("100.0", ConsoleReporter.appendPercent(new StringBuilder(), 7, 7).toString());
    int checked = 0;
    for (int i = 0; i < 20_000; i++) {
      long whole = random.nextLong(1, 50_000_000L);
      long part = random.nextLong(0, whole + 1);
      double exact = 100.0 * part / whole;
      // a share exactly on a half (x.x5) may round either way in binary: not a difference a reader sees
      if (Math.abs(exact * 10 - Math.floor(exact * 10) - 0.5) < 1e-6) {
        continue;
      }
      assertEquals(String.format(Locale.ROOT, "%.1f", exact),
          ConsoleReporter.appendPercent(new StringBuilder(), part, whole).toString(), part + "/" + whole);
      checked++;
    }
    assertEquals(true, checked > 19_000, "checked " + checked);
  }
}
