package io.mltrace.benchmarks.overhead;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Medians, spreads and the machine's load, as the tables show them. */
final class Stats {
  private Stats() {}

  /** The median and the range of some figures. */
  record Spread(double median, double min, double max) {
    static Spread of(List<Double> values) {
      List<Double> s = sorted(values);
      return new Spread(Stats.median(s), s.get(0), s.get(s.size() - 1));
    }
  }

  static List<Double> sorted(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted;
  }

  static String joined(List<Double> values, String format) {
    StringBuilder each = new StringBuilder();
    for (double v : values) {
      each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, format, v));
    }
    return each.toString();
  }

  static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The 1-minute load average (Linux). */
  static double loadAverage() throws IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
  }
}
