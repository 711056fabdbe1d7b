package io.mltrace.agent.cli.analysis;

import java.util.Locale;

/** Human-readable values for the reports, and JSON/HTML text escaping. */
final class Format {
  private Format() {}

  static String value(double v, String unit) {
    if (Double.isNaN(v)) {
      return "-";
    }
    switch (unit) {
      case "ns":
        return Math.abs(v) >= 1e6 ? f("%.3f ms", v / 1e6) : f("%.1f us", v / 1e3);
      case "flop":
        return scaled(v, "FLOP");
      case "B":
        return scaled(v, "B");
      case "GFLOP/s":
        return f("%.2f GFLOP/s", v);
      default:
        return v == Math.rint(v) ? f("%.0f", v) : f("%.2f", v);
    }
  }

  static String delta(double v, String unit) {
    return (v > 0 ? "+" : "") + value(v, unit);
  }

  static String percent(double relative) {
    if (Double.isInfinite(relative)) {
      return "new";
    }
    return f("%+.1f%%", relative * 100);
  }

  static String p(double p) {
    if (Double.isNaN(p)) {
      return "untested";
    }
    return p < 1e-4 ? "p<1e-4" : f("p=%.4f", p);
  }

  private static String scaled(double v, String unit) {
    double a = Math.abs(v);
    if (a >= 1e9) {
      return f("%.3f G", v / 1e9) + unit;
    }
    if (a >= 1e6) {
      return f("%.3f M", v / 1e6) + unit;
    }
    if (a >= 1e3) {
      return f("%.3f k", v / 1e3) + unit;
    }
    return f("%.0f ", v) + unit;
  }

  static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  /** A JSON number; NaN and infinities (not JSON) as null. */
  static String json(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "null";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : f("%.6g", v);
  }

  static String jsonString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(f("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  static String html(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
