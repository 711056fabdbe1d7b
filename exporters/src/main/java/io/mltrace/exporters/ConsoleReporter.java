package io.mltrace.exporters;

import io.mltrace.collector.Breakdown;
import io.mltrace.collector.Category;
import io.mltrace.collector.GpuTimeline;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.StepSink;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * A line per step (step number, wall, GEMM, the rest, GEMM share) and, at exit, the run's breakdown as a table.
 */
public final class ConsoleReporter implements StepSink {
  private final PrintStream out;
  private final boolean perStep;
  private final long[] totals = new long[Category.values().length];
  private long steps;
  private long wall;
  private long flops;
  private final RunAggregates aggregates = new RunAggregates();
  /** Over the steps whose GPU work was traced: the device's GEMM kernel time, and those steps' FLOPs. */
  private long gpuGemmNs;
  private long gpuFlops;
  private long gpuSteps;
  private final OutsideCalls outside = new OutsideCalls();

  public ConsoleReporter(PrintStream out, boolean perStep) {
    this.out = out;
    this.perStep = perStep;
  }

  @Override
  public void onStep(Step step) {
    steps++;
    aggregates.add(step);
    wall += step.wallNs();
    flops += step.flops();
    StepGpu gpu = step.gpu();
    if (gpu != null) {
      long kernels = gpu.timeline().deviceNs(GpuTimeline.DeviceUse.GEMM_KERNELS);
      if (kernels > 0) {
        gpuGemmNs += kernels;
        gpuFlops += step.flops();
        gpuSteps++;
      }
    }
    Breakdown b = step.breakdown();
    for (Category c : Category.values()) {
      totals[c.ordinal()] += b.ns(c);
    }
    if (perStep) {
      out.println(stepLine(step));
    }
  }

  /**
   * The step's line, built without {@link java.util.Formatter}: this runs on the collector thread for every step
   * (a thousand a second on a fast job), where {@code String.format} cost about 40 us a line and brought the
   * formatter's code to the JIT in the job's first minute. The text of {@code "%.3f"} and {@code "%.1f"} (half-up
   * rounding), except that a negative value rounding to zero prints without its sign.
   */
  static String stepLine(Step step) {
    long gemm = step.breakdown().ns(Category.GEMM);
    long wall = step.wallNs();
    StringBuilder sb = new StringBuilder(96).append("mltrace step ").append(step.number()).append("  wall ");
    appendFixed(sb, wall, 1_000_000, 3).append(" ms  gemm ");
    appendFixed(sb, gemm, 1_000_000, 3).append(" ms  rest ");
    appendFixed(sb, wall - gemm, 1_000_000, 3).append(" ms  gemm ");
    return appendPercent(sb, gemm, wall).append('%').toString();
  }

  /** Appends {@code value / unit} with {@code decimals} digits after the point, rounded half-up (away from 0). */
  static StringBuilder appendFixed(StringBuilder sb, long value, long unit, int decimals) {
    long scale = 1;
    for (int i = 0; i < decimals; i++) {
      scale *= 10;
    }
    // value * scale / unit, rounded: unit is a multiple of scale here (ns to ms), so no overflow for any step
    long step = unit / scale;
    long magnitude = Math.abs(value);
    long scaled = magnitude / step + (magnitude % step * 2 >= step ? 1 : 0);
    if (value < 0 && scaled != 0) {
      sb.append('-');
    }
    sb.append(scaled / scale);
    if (decimals > 0) {
      sb.append('.');
      String frac = Long.toString(scaled % scale);
      for (int i = frac.length(); i < decimals; i++) {
        sb.append('0');
      }
      sb.append(frac);
    }
    return sb;
  }

  /** Appends {@code 100 * part / whole} with one decimal, as {@code "%.1f"} would (0.0 when whole is 0). */
  static StringBuilder appendPercent(StringBuilder sb, long part, long whole) {
    if (whole == 0) {
      return sb.append("0.0");
    }
    long tenths = Math.round(1000.0 * part / whole);
    if (tenths < 0) {
      sb.append('-');
      tenths = -tenths;
    }
    return sb.append(tenths / 10).append('.').append(tenths % 10);
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    outside.add(span);
  }

  @Override
  public void close() {
    out.print(summary());
    out.flush();
  }

  String summary() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "mltrace summary: %d steps, %.1f ms in steps, mean %.3f ms/step%n",
        steps, ms(wall), steps == 0 ? 0.0 : ms(wall) / steps));
    if (!outside.byName().isEmpty()) {
      // Inference and evaluation calls are in no step: their time is said here, not lost.
      sb.append("  outside steps:");
      String between = " ";
      for (Map.Entry<String, long[]> e : outside.byName().entrySet()) {
        sb.append(between).append(String.format(Locale.ROOT, "%s %d calls in %.1f ms", e.getKey(), e.getValue()[0],
            ms(e.getValue()[1])));
        between = ", ";
      }
      sb.append(System.lineSeparator());
    }
    if (steps == 0) {
      return sb.toString();
    }
    for (Category c : Category.values()) {
      long ns = totals[c.ordinal()];
      if (ns == 0) {
        continue;
      }
      sb.append(String.format(Locale.ROOT, "  %-14s %10.3f ms %6.1f%%%n", c.key(), ms(ns), percent(ns, wall)));
    }
    long gemm = totals[Category.GEMM.ordinal()];
    sb.append(String.format(Locale.ROOT, "  GEMM share %.1f%% of step time; GEMM FLOPs %.3g (%.2f GFLOP/s inside GEMM ops)%n",
        percent(gemm, wall), (double) flops, gemm == 0 ? 0.0 : flops / (double) gemm));
    if (gpuGemmNs > 0) {
      // Where GEMMs run on a GPU, the host's GEMM ops only launch them: their rate is the kernels'.
      sb.append(String.format(Locale.ROOT, "  on the GPU: %.3g GFLOP/s in GEMM kernels (%d traced steps: %.3g FLOPs in"
          + " %.3f ms of GEMM kernels)%n", gpuFlops / (double) gpuGemmNs, gpuSteps, (double) gpuFlops, ms(gpuGemmNs)));
    }
    if (aggregates.estimatedNs() > 0) {
      sb.append(String.format(Locale.ROOT, "  estimated %.1f%% of step time (ops not timed in counted steps, backward"
          + " GEMM on CPU)", percent(aggregates.estimatedNs(), wall)));
      if (aggregates.checkSteps() > 0) {
        sb.append(String.format(Locale.ROOT, "; checked in %d steps that timed every op: estimates %+.1f%% off in all,"
            + " %+.1f%% in the median step",
            aggregates.checkSteps(), 100 * aggregates.checkError(), 100 * aggregates.checkMedianStepError()));
      }
      sb.append(System.lineSeparator());
    }
    long samples = aggregates.frameSamples();
    if (samples > 0) {
      sb.append(String.format(Locale.ROOT, "  top host frames in framework/unattributed time (%d samples):%n", samples));
      for (Map.Entry<String, Integer> e : aggregates.topFrames(5).entrySet()) {
        sb.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n", percent(e.getValue(), samples), e.getKey()));
      }
    }
    return sb.toString();
  }

  private static double ms(long ns) {
    return ns / 1e6;
  }

  private static double percent(long part, long whole) {
    return whole == 0 ? 0.0 : 100.0 * part / whole;
  }
}
