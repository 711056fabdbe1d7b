package io.mltrace.agent.cli.analysis;

import java.util.Arrays;

/** Robust statistics over per-step values: median, MAD, percentiles, and the Mann-Whitney U test. */
final class Stats {
  private Stats() {}

  static double median(double[] values) {
    return percentile(values, 50);
  }

  /** Linear interpolation between closest ranks; NaN for no values. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double rank = p / 100 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
  }

  static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return values.length == 0 ? Double.NaN : sum / values.length;
  }

  /**
   * How far a run drifted within itself: the difference between the medians of its first and second half (0 for
   * fewer than 6 values). Other load on the machine comes and goes over a run; a run whose halves differ by this
   * much cannot show a smaller change against another run.
   */
  static double halfDrift(double[] values) {
    int n = values.length;
    if (n < 6) {
      return 0;
    }
    return Math.abs(median(Arrays.copyOfRange(values, 0, n / 2)) - median(Arrays.copyOfRange(values, n / 2, n)));
  }

  /** Median absolute deviation from the median (unscaled). */
  static double mad(double[] values) {
    double m = median(values);
    double[] dev = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      dev[i] = Math.abs(values[i] - m);
    }
    return median(dev);
  }

  /**
   * Two-sided p-value of the Mann-Whitney U test (normal approximation with tie correction and continuity
   * correction): the chance that two samples this far apart in rank come from one distribution. Step times are
   * skewed and have outliers (GC, JIT), so a rank test suits them better than a t-test. NaN when either sample
   * has fewer than 3 values; 1 when every value is tied.
   */
  static double mannWhitneyP(double[] a, double[] b) {
    int n1 = a.length;
    int n2 = b.length;
    if (n1 < 3 || n2 < 3) {
      return Double.NaN;
    }
    int n = n1 + n2;
    double[][] all = new double[n][2];
    for (int i = 0; i < n1; i++) {
      all[i] = new double[] {a[i], 0};
    }
    for (int i = 0; i < n2; i++) {
      all[n1 + i] = new double[] {b[i], 1};
    }
    Arrays.sort(all, (x, y) -> Double.compare(x[0], y[0]));
    double rankSumA = 0;
    double tieTerm = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && all[j + 1][0] == all[i][0]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      int ties = j - i + 1;
      tieTerm += (double) ties * ties * ties - ties;
      for (int k = i; k <= j; k++) {
        if (all[k][1] == 0) {
          rankSumA += rank;
        }
      }
      i = j + 1;
    }
    double u = rankSumA - n1 * (n1 + 1) / 2.0;
    double meanU = n1 * (double) n2 / 2;
    double variance = n1 * (double) n2 / 12 * ((n + 1) - tieTerm / ((double) n * (n - 1)));
    if (variance <= 0) {
      return 1;
    }
    double z = (Math.abs(u - meanU) - 0.5) / Math.sqrt(variance);
    return Math.min(1, 2 * normalCdf(-Math.max(0, z)));
  }

  /** Standard normal CDF, through erfc (Numerical Recipes' erfcc: relative error below 1.2e-7, tails included). */
  static double normalCdf(double z) {
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * x);
    double erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
        + t * 0.17087277)))))))));
    return z >= 0 ? 1 - erfc / 2 : erfc / 2;
  }

  /** Ordinary least squares of y on the given columns (no implicit intercept); null when singular. */
  static double[] leastSquares(double[][] columns, double[] y) {
    int k = columns.length;
    double[][] m = new double[k][k + 1];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        m[i][j] = dot(columns[i], columns[j]);
      }
      m[i][k] = dot(columns[i], y);
    }
    for (int c = 0; c < k; c++) {
      int pivot = c;
      for (int r = c + 1; r < k; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
          pivot = r;
        }
      }
      double[] tmp = m[c];
      m[c] = m[pivot];
      m[pivot] = tmp;
      if (Math.abs(m[c][c]) < 1e-300) {
        return null;
      }
      for (int r = 0; r < k; r++) {
        if (r != c) {
          double f = m[r][c] / m[c][c];
          for (int j = c; j <= k; j++) {
            m[r][j] -= f * m[c][j];
          }
        }
      }
    }
    double[] beta = new double[k];
    for (int i = 0; i < k; i++) {
      beta[i] = m[i][k] / m[i][i];
    }
    return beta;
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }
}
