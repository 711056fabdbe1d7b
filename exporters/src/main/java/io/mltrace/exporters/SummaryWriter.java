package io.mltrace.exporters;

import io.mltrace.bootstrap.Slots;
import io.mltrace.collector.Category;
import io.mltrace.collector.Estimates;
import io.mltrace.collector.Leak;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.MemorySite;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepMemory;
import io.mltrace.collector.StepSink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Writes {@code summary.json}: one entry per step and the totals. The schema is documented in
 * {@code docs/summary-schema.md}; names are stable and only ever added to.
 *
 * <p>Memory is bounded: past {@code maxSteps} step entries, later steps still count in the totals and in
 * {@code steps_omitted}, but get no entry of their own.
 */
public final class SummaryWriter implements StepSink {
  /** Bumped only when a field changes meaning; new fields do not bump it. */
  static final int SCHEMA_VERSION = 1;
  /** The categories whose time can be estimated (op time that was not timed), in {@code estimated_ns}. */
  private static final Category[] ESTIMATED = {Category.GEMM, Category.MEMCPY, Category.OTHER_COMPUTE};
  /**
   * A step row: number, wall, FLOPs, ops, detailed, ops timed, the estimated part of each {@link #ESTIMATED}
   * category, the unplaced op time, the framework's iteration count (-1: none); then the breakdown by category.
   */
  private static final int COLUMNS = 10 + ESTIMATED.length;
  private static final int ESTIMATED_COLUMN = 6;
  private static final int UNPLACED_COLUMN = ESTIMATED_COLUMN + ESTIMATED.length;
  private static final int ITERATION_COLUMN = UNPLACED_COLUMN + 1;
  private static final int START_COLUMN = ITERATION_COLUMN + 1;
  private static final int PARTITION_COLUMN = START_COLUMN + 1;

  private final Path file;
  private final int maxSteps;
  private final List<Category> measured;
  private final List<long[]> rows = new ArrayList<>();
  /** {@link #rows}' JSON up to {@link #renderedRowCount}, at utilization's {@link #renderedPeak}. */
  private final StringBuilder renderedRows = new StringBuilder();
  private int renderedRowCount;
  private double renderedPeak = Double.NaN;
  private final List<Map<String, Integer>> rowFrames = new ArrayList<>();
  private final RunAggregates aggregates = new RunAggregates();
  private final GpuSummary gpu = new GpuSummary();
  private final List<String> rowGpu = new ArrayList<>(); // each entry's GPU fields, null for steps without GPU work
  private final List<String> rowMemory = new ArrayList<>(); // each entry's memory object, null when none measured
  private final DoubleSupplier peakGflops;
  private final long[] totalBreakdown = new long[Category.values().length];
  private long totalSteps;
  private long totalWall;
  private long totalFlops;
  private long totalOps;
  /** The {@code worker} object's keys in the order written (a Map.copyOf has none). */
  private static final List<String> WORKER_KEYS = List.of("role", "executor_id", "app_id", "host", "pid");
  private final Map<String, String> worker;
  private final Supplier<Map<String, Object>> clock;
  private long totalOpsTimed;
  private final long[] totalEstimated = new long[ESTIMATED.length];
  private long totalUnplaced;
  private long omitted;
  private int writeErrors;
  /** Inference and evaluation calls outside the steps, written as {@code outside_steps}. */
  private final OutsideCalls outside = new OutsideCalls();

  /**
   * @param measured the categories this run can measure; the others are present in the file and always 0
   */
  public SummaryWriter(Path file, int maxSteps, List<Category> measured) {
    this(file, maxSteps, measured, () -> 0);
  }

  /**
   * @param peakGflops the peak GEMM throughput that utilization is measured against, read at each write; 0 when
   *     unknown (then no utilization is written)
   */
  public SummaryWriter(Path file, int maxSteps, List<Category> measured, DoubleSupplier peakGflops) {
    this(file, maxSteps, measured, peakGflops, Map.of());
  }

  /**
   * @param worker which worker of a cluster job wrote the file (role, executor id, application id, host, pid),
   *     written as the {@code worker} object; empty for a JVM that is not part of one (then no {@code worker})
   */
  public SummaryWriter(Path file, int maxSteps, List<Category> measured, DoubleSupplier peakGflops,
      Map<String, String> worker) {
    this(file, maxSteps, measured, peakGflops, worker, Map::of);
  }

  /**
   * @param clock this worker's clock against the cluster's reference (the driver), read at each write and written as
   *     the {@code clock} object when not empty: {@code reference}, {@code offset_ns} (reference clock − this JVM's
   *     {@code System.nanoTime()}), {@code error_ns} and the measurement's counts (numbers or strings)
   */
  public SummaryWriter(Path file, int maxSteps, List<Category> measured, DoubleSupplier peakGflops,
      Map<String, String> worker, Supplier<Map<String, Object>> clock) {
    this.clock = clock;
    this.worker = Map.copyOf(worker);
    this.peakGflops = peakGflops;
    if (maxSteps < 0) {
      throw new IllegalArgumentException("maxSteps must not be negative.");
    }
    this.file = file;
    this.maxSteps = maxSteps;
    this.measured = List.copyOf(measured);
  }

  @Override
  public void onStep(Step step) {
    totalSteps++;
    totalWall += step.wallNs();
    totalFlops += step.flops();
    totalOps += step.opCount();
    long opsTimed = step.attribute(Slots.ATTR_OPS_TIMED);
    totalOpsTimed += opsTimed;
    Category[] cats = Category.values();
    long[] row = new long[COLUMNS + cats.length];
    row[0] = step.number();
    row[1] = step.wallNs();
    row[2] = step.flops();
    row[3] = step.opCount();
    row[4] = step.detailed() ? 1 : 0;
    row[5] = opsTimed;
    Estimates estimates = step.estimates();
    for (int i = 0; i < ESTIMATED.length; i++) {
      row[ESTIMATED_COLUMN + i] = estimates.estimatedNs(ESTIMATED[i]);
      totalEstimated[i] += row[ESTIMATED_COLUMN + i];
    }
    row[UNPLACED_COLUMN] = estimates.unplacedNs();
    row[ITERATION_COLUMN] = step.iteration();
    row[START_COLUMN] = step.startNs();
    row[PARTITION_COLUMN] = step.partition();
    totalUnplaced += estimates.unplacedNs();
    for (Category c : cats) {
      long ns = step.breakdown().ns(c);
      row[COLUMNS + c.ordinal()] = ns;
      totalBreakdown[c.ordinal()] += ns;
    }
    aggregates.add(step);
    String gpuFields = gpu.onStep(step);
    if (rows.size() < maxSteps) {
      rows.add(row);
      rowGpu.add(gpuFields);
      rowMemory.add(memory(step.memory()));
      rowFrames.add(top(step.hostFrames(), 3));
    } else {
      omitted++;
    }
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    outside.add(span);
  }

  @Override
  public void flush(RunStats stats) {
    try {
      AtomicFiles.writeAtomically(file, render(stats));
    } catch (IOException e) {
      if (writeErrors++ == 0) {
        System.err.println("mltrace: cannot write " + file + ": " + e.getMessage());
      }
    }
  }

  String render(RunStats stats) {
    double peak = peakGflops.getAsDouble();
    StringBuilder out = new StringBuilder(256 + rows.size() * 300);
    out.append("{\n  \"schema_version\": ").append(SCHEMA_VERSION).append(",\n");
    out.append("  \"time_unit\": \"ns\",\n");
    if (!worker.isEmpty()) {
      out.append("  \"worker\": {");
      String sep = "";
      for (String key : WORKER_KEYS) {
        String value = worker.get(key);
        if (value != null) {
          Json.string(out.append(sep), key).append(": ");
          Json.string(out, value);
          sep = ", ";
        }
      }
      out.append("},\n");
    }
    Map<String, Object> clockNow = clock.get();
    if (!clockNow.isEmpty()) {
      out.append("  \"clock\": {");
      String sep = "";
      for (Map.Entry<String, Object> e : clockNow.entrySet()) {
        Json.string(out.append(sep), e.getKey()).append(": ");
        if (e.getValue() instanceof Number) {
          out.append(((Number) e.getValue()).longValue());
        } else {
          Json.string(out, String.valueOf(e.getValue()));
        }
        sep = ", ";
      }
      out.append("},\n");
    }
    out.append("  \"categories\": [");
    Category[] cats = Category.values();
    for (int i = 0; i < cats.length; i++) {
      Json.string(out.append(i == 0 ? "" : ", "), cats[i].key());
    }
    out.append("],\n  \"measured_categories\": [");
    for (int i = 0; i < measured.size(); i++) {
      Json.string(out.append(i == 0 ? "" : ", "), measured.get(i).key());
    }
    out.append("],\n  \"steps\": [");
    renderNewRows(peak);
    out.append(renderedRows);
    out.append(rows.isEmpty() ? "],\n" : "\n  ],\n");
    out.append("  \"totals\": {\"steps\": ").append(totalSteps).append(", \"wall_ns\": ").append(totalWall);
    breakdown(out, totalBreakdown, 0);
    out.append(", \"flops\": ").append(totalFlops).append(", \"ops\": ").append(totalOps);
    out.append(", \"ops_timed\": ").append(totalOpsTimed);
    estimated(out, totalEstimated, 0);
    out.append(", \"unplaced_ns\": ").append(totalUnplaced);
    if (peak > 0 && totalWall > 0) {
      ratio(out.append(", \"utilization\": "), totalFlops, totalWall * peak);
    }
    out.append("},\n");
    out.append("  \"outside_steps\": {");
    String between = "\n    ";
    for (Map.Entry<String, long[]> e : outside.byName().entrySet()) {
      Json.string(out.append(between), e.getKey()).append(": {\"calls\": ").append(e.getValue()[0])
          .append(", \"total_ns\": ").append(e.getValue()[1]).append('}');
      between = ",\n    ";
    }
    out.append(outside.byName().isEmpty() ? "},\n" : "\n  },\n");
    if (peak > 0) {
      out.append("  \"peak_gflops\": ").append(String.format(java.util.Locale.ROOT, "%.3f", peak)).append(",\n");
    }
    out.append("  \"estimate_check\": {\"steps\": ").append(aggregates.checkSteps())
        .append(", \"estimated_ns\": ").append(aggregates.checkEstimatedNs())
        .append(", \"measured_ns\": ").append(aggregates.checkMeasuredNs());
    if (aggregates.checkSteps() > 0) {
      out.append(", \"error\": ").append(String.format(java.util.Locale.ROOT, "%.4f", aggregates.checkError()))
          .append(", \"median_step_error\": ")
          .append(String.format(java.util.Locale.ROOT, "%.4f", aggregates.checkMedianStepError()));
    }
    out.append("},\n");
    out.append("  \"op_stats\": [");
    List<RunAggregates.OpStats> ops = aggregates.opsByTime();
    for (int i = 0; i < ops.size(); i++) {
      RunAggregates.OpStats o = ops.get(i);
      out.append(i == 0 ? "\n    {" : ",\n    {");
      Json.string(out.append("\"kind\": "), o.kind);
      Json.string(out.append(", \"name\": "), o.name);
      out.append(", \"count\": ").append(o.count).append(", \"total_ns\": ").append(o.totalNs)
          .append(", \"mean_ns\": ").append(o.meanNs()).append(", \"flops\": ").append(o.flops)
          .append(", \"gflops\": ").append(String.format(java.util.Locale.ROOT, "%.3f", o.gflops())).append('}');
    }
    out.append(ops.isEmpty() ? "],\n" : "\n  ],\n");
    out.append("  \"top_frames\": ");
    frames(out, aggregates.topFrames(10));
    out.append(",\n");
    if (gpu.any()) {
      gpu.appendTotals(out.append("  ")).append(",\n");
    }
    leaks(out, stats.leaks());
    out.append("  \"steps_omitted\": ").append(omitted).append(",\n");
    out.append("  \"dropped_records\": ").append(stats.droppedRecords()).append(",\n");
    out.append("  \"dropped_activities\": ").append(stats.activitiesDropped()).append(",\n");
    out.append("  \"steps_closed_before_sources\": ").append(stats.stepsClosedBeforeSources()).append(",\n");
    if (stats.gpuAllocationsUntracked() > 0) {
      out.append("  \"gpu_allocations_untracked\": ").append(stats.gpuAllocationsUntracked()).append(",\n");
    }
    out.append("  \"exporter_errors\": ").append(stats.sinkErrors()).append("\n}\n");
    return out.toString();
  }

  /**
   * Renders the rows stored since the last write into {@link #renderedRows}, each once (the file is written every
   * report interval, and its rows grow with the run: 100,000 by default); all again when the peak, which each row's
   * utilization divides by, changed (the GEMM calibration ends after the first steps).
   */
  private void renderNewRows(double peak) {
    if (Double.compare(peak, renderedPeak) != 0) {
      renderedRows.setLength(0);
      renderedRowCount = 0;
      renderedPeak = peak;
    }
    StringBuilder out = renderedRows;
    for (int i = renderedRowCount; i < rows.size(); i++) {
      long[] row = rows.get(i);
      out.append(i == 0 ? "\n    " : ",\n    ");
      out.append("{\"step\": ").append(row[0]);
      if (row[ITERATION_COLUMN] >= 0) {
        out.append(", \"iteration\": ").append(row[ITERATION_COLUMN]);
      }
      if (row[PARTITION_COLUMN] >= 0) {
        out.append(", \"partition\": ").append(row[PARTITION_COLUMN]);
      }
      out.append(", \"start_ns\": ").append(row[START_COLUMN]).append(", \"wall_ns\": ").append(row[1]);
      breakdown(out, row, COLUMNS);
      out.append(", \"flops\": ").append(row[2]).append(", \"ops\": ").append(row[3]);
      out.append(", \"ops_timed\": ").append(row[5]);
      estimated(out, row, ESTIMATED_COLUMN);
      if (row[UNPLACED_COLUMN] > 0) {
        out.append(", \"unplaced_ns\": ").append(row[UNPLACED_COLUMN]);
      }
      out.append(", \"detailed\": ").append(row[4] != 0);
      if (peak > 0 && row[1] > 0) {
        ratio(out.append(", \"utilization\": "), row[2], row[1] * peak);
      }
      if (!rowFrames.get(i).isEmpty()) {
        out.append(", \"top_frames\": ");
        frames(out, rowFrames.get(i));
      }
      if (rowGpu.get(i) != null) {
        out.append(rowGpu.get(i));
      }
      if (rowMemory.get(i) != null) {
        out.append(", \"memory\": ").append(rowMemory.get(i));
      }
      out.append('}');
    }
    renderedRowCount = rows.size();
  }

  /** A step's measured memory series and, in a detailed step, its top sites; null when nothing was measured. */
  private static String memory(StepMemory memory) {
    if (memory.isEmpty()) {
      return null;
    }
    StringBuilder out = new StringBuilder(160).append('{');
    int i = 0;
    for (Map.Entry<MemorySeries, Long> e : memory.values().entrySet()) {
      Json.string(out.append(i++ == 0 ? "" : ", "), e.getKey().key()).append(": ").append(e.getValue());
    }
    List<MemorySite> sites = memory.sites();
    if (!sites.isEmpty()) {
      out.append(", \"sites\": ");
      sites(out, sites.size() > 5 ? sites.subList(0, 5) : sites);
    }
    List<MemorySite> holders = memory.aliveByHolder();
    if (!holders.isEmpty()) {
      out.append(", \"step_arrays_alive_by_holder\": ");
      sites(out, holders, "holder");
    }
    return out.append('}').toString();
  }

  /** The run's leak suspects: series, growth per step, window, sites. */
  private static void leaks(StringBuilder out, List<Leak> leaks) {
    out.append("  \"leaks\": [");
    for (int i = 0; i < leaks.size(); i++) {
      Leak l = leaks.get(i);
      out.append(i == 0 ? "\n    {" : ",\n    {");
      Json.string(out.append("\"series\": "), l.series().key());
      out.append(", \"bytes_per_step\": ").append(Math.round(l.bytesPerStep()))
          .append(", \"from_step\": ").append(l.fromStep()).append(", \"to_step\": ").append(l.toStep())
          .append(", \"points\": ").append(l.points()).append(", \"first_seen_step\": ").append(l.firstSeenStep())
          .append(", \"sites\": ");
      sites(out, l.sites());
      out.append('}');
    }
    out.append(leaks.isEmpty() ? "],\n" : "\n  ],\n");
  }

  private static void sites(StringBuilder out, List<MemorySite> sites) {
    sites(out, sites, "site");
  }

  /** Each as {@code {"<key>": name, "bytes": .., "count": ..}}. */
  private static void sites(StringBuilder out, List<MemorySite> sites, String key) {
    out.append('[');
    for (int i = 0; i < sites.size(); i++) {
      MemorySite s = sites.get(i);
      Json.string(out.append(i == 0 ? "{\"" : ", {\"").append(key).append("\": "), s.site());
      out.append(", \"bytes\": ").append(s.bytes()).append(", \"count\": ").append(s.count()).append('}');
    }
    out.append(']');
  }

  private static StringBuilder ratio(StringBuilder out, long flops, double nsTimesGflops) {
    return Json.fixed(out, flops / nsTimesGflops, 6);
  }

  private static Map<String, Integer> top(Map<String, Integer> frames, int n) {
    if (frames.isEmpty()) {
      return frames;
    }
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, Integer> e : frames.entrySet()) {
      if (out.size() == n) {
        break;
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  private static void frames(StringBuilder out, Map<String, Integer> frames) {
    out.append('[');
    int i = 0;
    for (Map.Entry<String, Integer> e : frames.entrySet()) {
      Json.string(out.append(i++ == 0 ? "{\"frame\": " : ", {\"frame\": "), e.getKey());
      out.append(", \"samples\": ").append(e.getValue()).append('}');
    }
    out.append(']');
  }

  /** The estimated part of each estimable category's time; the rest of its time is measured. */
  private static void estimated(StringBuilder out, long[] values, int offset) {
    out.append(", \"estimated_ns\": {");
    for (int i = 0; i < ESTIMATED.length; i++) {
      Json.string(out.append(i == 0 ? "" : ", "), ESTIMATED[i].key()).append(": ").append(values[offset + i]);
    }
    out.append('}');
  }

  private static void breakdown(StringBuilder out, long[] values, int offset) {
    out.append(", \"breakdown_ns\": {");
    Category[] cats = Category.values();
    for (int i = 0; i < cats.length; i++) {
      Json.string(out.append(i == 0 ? "" : ", "), cats[i].key()).append(": ").append(values[offset + i]);
    }
    out.append('}');
  }
}
