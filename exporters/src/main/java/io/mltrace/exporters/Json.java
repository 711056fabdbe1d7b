package io.mltrace.exporters;

/** The few JSON helpers the writers need: the exporters carry no JSON library into the agent jar. */
public final class Json {
  private Json() {}

  /** Appends {@code s} as a JSON string literal. */
  public static StringBuilder string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"');
  }

  /**
   * Appends {@code value / unit} with one decimal, truncated, as a JSON number: a negative value gets one leading
   * sign (plain {@code /} and {@code %} would write {@code -3.-5}, which no JSON reader accepts).
   */
  static StringBuilder tenths(StringBuilder out, long value, long unit) {
    if (value < 0) {
      out.append('-');
      value = -value;
    }
    return out.append(value / unit).append('.').append(value % unit * 10 / unit);
  }

  /**
   * Appends {@code value} with {@code decimals} digits after the point: the text of {@code String.format(Locale.ROOT,
   * "%.<decimals>f", value)} (which rounds the shortest decimal form of the double half-up), without the formatter.
   * Why: the summary writes a ratio per step row, thousands at a job's end; through {@code String.format} (a regular
   * expression parse of the pattern per call, cold code at exit) those took 48 ms of a 1000-step DJL job's 0.3 s exit
   * on the exit threads. Not finite: the formatter's text ({@code NaN}, {@code Infinity}).
   */
  public static StringBuilder fixed(StringBuilder out, double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return out.append(String.format(java.util.Locale.ROOT, "%." + decimals + "f", value));
    }
    if (value == 0 && 1 / value < 0) {
      out.append('-'); // the formatter keeps the sign of -0.0, which BigDecimal drops
    }
    String text = new java.math.BigDecimal(Double.toString(value)).setScale(decimals, java.math.RoundingMode.HALF_UP)
        .toPlainString();
    if (value < 0 && text.charAt(0) != '-') {
      out.append('-'); // a negative value that rounds to zero keeps its sign, as the formatter's does
    }
    return out.append(text);
  }

  /** Appends nanoseconds as microseconds with three decimals (Chrome trace units). */
  static StringBuilder micros(StringBuilder out, long nanos) {
    if (nanos < 0) {
      out.append('-');
      nanos = -nanos;
    }
    out.append(nanos / 1000).append('.');
    long frac = nanos % 1000;
    if (frac < 100) {
      out.append('0');
    }
    if (frac < 10) {
      out.append('0');
    }
    return out.append(frac);
  }
}
