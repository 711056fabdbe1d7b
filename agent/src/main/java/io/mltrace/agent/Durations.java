package io.mltrace.agent;

import java.util.Locale;

/** Durations as people write them: {@code 0}, {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
public final class Durations {
  private Durations() {}

  /** The duration in nanoseconds, or -1 when the text is not a duration. A bare number means seconds. */
  public static long parseNanos(String text) {
    if (text == null) {
      return -1;
    }
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit;
    String number;
    if (t.endsWith("ms")) {
      unit = 1_000_000L;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      unit = 1_000_000_000L;
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      unit = 60_000_000_000L;
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("h")) {
      unit = 3_600_000_000_000L;
      number = t.substring(0, t.length() - 1);
    } else {
      unit = 1_000_000_000L;
      number = t;
    }
    try {
      double d = Double.parseDouble(number.trim());
      if (!(d >= 0) || d * unit > Long.MAX_VALUE / 2) {
        return -1;
      }
      return (long) (d * unit);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
