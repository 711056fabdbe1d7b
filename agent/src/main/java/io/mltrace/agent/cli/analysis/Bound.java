package io.mltrace.agent.cli.analysis;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One bound of {@code mltrace check}: {@code <metric> <op> <number>[unit]}, e.g. {@code data <= 10%},
 * {@code step_p95 <= 1.2x}, {@code unattributed <= 3%}, {@code gflops >= 5}, {@code gemm <= 4ms}.
 *
 * <p>Metrics: a breakdown category ({@code %}: its share of the analysed steps' time; {@code ms}, {@code us},
 * {@code s}: its per-step median), {@code step_p50}, {@code step_p95}, {@code step_p99}, {@code step_mean},
 * {@code step_max} (a time unit), {@code gflops} (the run's FLOPs over its time, GFLOP/s; no unit). The unit
 * {@code x} compares with the baseline run's same metric times the number.
 */
record Bound(String text, String metric, String op, double number, String unit) {
  private static final Pattern SYNTAX = Pattern.compile(
      "\\s*([a-z_][a-z0-9_]*)\\s*(<=|>=|<|>|≤|≥)\\s*([0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\\s*(%|x|×|ms|us|s)?"
          + "(?:\\s*(?:baseline|the baseline's|of baseline))?\\s*");

  /** Parses one bound; throws {@link IllegalArgumentException} with a message naming the bound. */
  static Bound parse(String text) {
    Matcher m = SYNTAX.matcher(text.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("cannot read bound '" + text + "' (expected e.g. 'data <= 10%',"
          + " 'step_p95 <= 1.2x', 'gflops >= 5')");
    }
    String op = m.group(2).replace("≤", "<=").replace("≥", ">=");
    String unit = m.group(4) == null ? "" : m.group(4).replace("×", "x");
    Bound b = new Bound(text.trim(), m.group(1), op, Double.parseDouble(m.group(3)), unit);
    b.checkUnit();
    return b;
  }

  private void checkUnit() {
    boolean time = unit.equals("ms") || unit.equals("us") || unit.equals("s");
    if (metric.equals("gflops")) {
      if (!unit.isEmpty() && !unit.equals("x")) {
        throw new IllegalArgumentException("bound '" + text + "': gflops takes a plain number or 'x'");
      }
    } else if (metric.startsWith("step_")) {
      if (!time && !unit.equals("x")) {
        throw new IllegalArgumentException("bound '" + text + "': " + metric + " takes ms, us, s or x");
      }
    } else if (unit.isEmpty()) {
      throw new IllegalArgumentException("bound '" + text + "': a category takes %, ms, us, s or x");
    }
  }

  boolean relativeToBaseline() {
    return unit.equals("x");
  }

  /** The limit in the metric's own unit (ns, a share, or GFLOP/s), given the baseline's value for {@code x}. */
  double limit(double baselineValue) {
    switch (unit) {
      case "x": return number * baselineValue;
      case "%": return number / 100;
      case "ms": return number * 1e6;
      case "us": return number * 1e3;
      case "s": return number * 1e9;
      default: return number;
    }
  }

  boolean holds(double value, double limit) {
    switch (op) {
      case "<=": return value <= limit;
      case ">=": return value >= limit;
      case "<": return value < limit;
      default: return value > limit;
    }
  }
}
