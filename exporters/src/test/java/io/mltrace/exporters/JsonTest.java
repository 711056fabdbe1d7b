package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The trace's hand-written numbers parse as JSON numbers with the right value, negative ones included. */
class JsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void tenthsWriteOneSignAndTruncateTowardZero() throws Exception {
    long mb = 1024 * 1024;
    assertEquals(3.5, parse(Json.tenths(new StringBuilder(), 3 * mb + mb / 2, mb)));
    // A negative value once came out as "-3.-5" and broke the whole trace.json (ManyThreadsIT in CI).
    assertEquals(-3.5, parse(Json.tenths(new StringBuilder(), -(3 * mb + mb / 2), mb)));
    assertEquals(0.0, parse(Json.tenths(new StringBuilder(), 0, mb)));
  }

  @Test
  void microsKeepNanosecondsAsThreeDecimals() throws Exception {
    assertEquals(1.005, parse(Json.micros(new StringBuilder(), 1005)));
    assertEquals(-12.034, parse(Json.micros(new StringBuilder(), -12_034)));
  }

  @Test
  void fixedWritesWhatTheFormatterWrites() {
    double[] edges = {0, -0.0, 0.5e-6, 0.25e-6, 1.5e-6, 2.5e-6, -0.5e-6, -1e-9, 0.1234565, 0.1234575, 1.0000005,
        0.9999995, 123456.789, 1e300, -1e-300, Double.MIN_VALUE, 1e-7, 0.3, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY};
    for (double v : edges) {
      for (int decimals : new int[] {0, 1, 3, 6}) {
        assertFixedAsFormatter(v, decimals);
      }
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    for (int i = 0; i < 20_000; i++) {
      // ratios near 0..1 at every scale, and values whose 7th digit is a tie in decimal
      double v = i % 2 == 0 ? random.nextDouble() * Math.pow(10, random.nextInt(-8, 6))
          : (random.nextLong(0, 2_000_000_000L) * 10 + 5) / 1e10;
      assertFixedAsFormatter(i % 3 == 0 ? -v : v, 6);
    }
  }

  private static void assertFixedAsFormatter(double v, int decimals) {
    assertEquals(String.format(java.util.Locale.ROOT, "%." + decimals + "f", v),
        Json.fixed(new StringBuilder(), v, decimals).toString(), "value " + v + ", " + decimals + " decimals");
  }

  private static double parse(StringBuilder number) throws Exception {
    return JSON.readTree(number.toString()).asDouble();
  }
}
