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
