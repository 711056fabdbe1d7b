package io.mltrace.exporters;

import io.mltrace.collector.Breakdown;
import io.mltrace.collector.Category;
import io.mltrace.collector.GpuTimeline;
import io.mltrace.collector.RunStats;
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

  static String stepLine(Step step) {
    long gemm = step.breakdown().ns(Category.GEMM);
    long wall = step.wallNs();
    return String.format(Locale.ROOT, "mltrace step %d  wall %.3f ms  gemm %.3f ms  rest %.3f ms  gemm %.1f%%",
        step.number(), ms(wall), ms(gemm), ms(wall - gemm), percent(gemm, wall));
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
        sb.append(String.format(Locale.ROOT, "; checked in %d steps that timed every op: estimates %+.1f%% off",
            aggregates.checkSteps(), 100 * aggregates.checkError()));
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
