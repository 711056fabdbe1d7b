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

  private static double parse(StringBuilder number) throws Exception {
    return JSON.readTree(number.toString()).asDouble();
  }
}
