package io.mltrace.agent.cli.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A finished run read back from its output folder: {@code summary.json} (required) gives each step's wall time,
 * breakdown, FLOPs and op count; {@code trace.json} or {@code trace.json.gz} beside it (optional) adds, for each
 * detailed step, the time per phase, per op (count, time, FLOPs), per GPU kernel, and the step's memory
 * attributes. Without the trace, ops come from {@code summary.json}'s run-wide {@code op_stats}.
 *
 * <p>The first {@code warmup} steps are left out: they hold class loading and JIT compilation, which a
 * comparison of two runs should not mistake for a change.
 */
final class RunProfile {
  final Path source;
  final int stepsInFile;
  final int warmup;
  /** Steps analysed: those of the file after the warm-up. */
  final int steps;
  final long stepsInTotals;
  final List<String> measuredCategories;
  final String framework;
  final boolean hasTrace;
  final Map<String, Quantity> quantities = new LinkedHashMap<>();
  private final List<Double> stepNumbers = new ArrayList<>();

  private RunProfile(Path source, int stepsInFile, int warmup, long stepsInTotals, List<String> measured,
      String framework, boolean hasTrace) {
    this.source = source;
    this.stepsInFile = stepsInFile;
    this.warmup = warmup;
    this.steps = stepsInFile - warmup;
    this.stepsInTotals = stepsInTotals;
    this.measuredCategories = measured;
    this.framework = framework;
    this.hasTrace = hasTrace;
  }

  /** The default warm-up: a tenth of the steps, rounded up (none for fewer than 5 steps). */
  static int defaultWarmup(int steps) {
    return steps < 5 ? 0 : (steps + 9) / 10;
  }

  /**
   * @param path an output folder or a {@code summary.json} file
   * @param warmup leading steps to leave out; negative: {@link #defaultWarmup}
   */
  static RunProfile load(Path path, int warmup) throws IOException {
    return load(path, warmup, true);
  }

  /** As {@link #load(Path, int)}; {@code withTrace} false reads {@code summary.json} only (faster on a big trace). */
  static RunProfile load(Path path, int warmup, boolean withTrace) throws IOException {
    Path summaryFile = Files.isDirectory(path) ? path.resolve("summary.json") : path;
    if (!Files.isRegularFile(summaryFile)) {
      throw new IOException("no summary.json at " + path);
    }
    Map<String, Object> summary = JsonReader.object(JsonReader.parse(summaryFile));
    if (!summary.containsKey("steps") || !summary.containsKey("totals")) {
      throw new IOException(summaryFile + " is not an mltrace summary.json (no steps or totals)");
    }
    List<Object> stepList = JsonReader.array(summary.get("steps"));
    int skip = warmup < 0 ? defaultWarmup(stepList.size()) : Math.min(warmup, stepList.size());
    List<String> measured = new ArrayList<>();
    for (Object c : JsonReader.array(summary.get("measured_categories"))) {
      measured.add(String.valueOf(c));
    }
    Path dir = summaryFile.toAbsolutePath().getParent();
    Path trace = dir.resolve("trace.json");
    if (!Files.isRegularFile(trace)) {
      trace = dir.resolve("trace.json.gz");
    }
    Map<String, Object> traceJson = withTrace && Files.isRegularFile(trace)
        ? JsonReader.object(JsonReader.parse(trace)) : null;
    long totalSteps = (long) JsonReader.number(JsonReader.object(summary.get("totals")), "steps", stepList.size());
    RunProfile run = new RunProfile(summaryFile, stepList.size(), skip, totalSteps, measured,
        Frameworks.infer(summary, traceJson), traceJson != null);
    run.readSteps(summary, stepList.subList(skip, stepList.size()));
    if (traceJson != null) {
      new TraceSteps(run).read(traceJson);
    } else {
      run.readOpStats(summary);
    }
    return run;
  }

  private void readSteps(Map<String, Object> summary, List<Object> stepList) {
    List<String> categories = new ArrayList<>();
    for (Object c : JsonReader.array(summary.get("categories"))) {
      categories.add(String.valueOf(c));
    }
    int n = stepList.size();
    double[] wall = new double[n];
    double[] flops = new double[n];
    double[] ops = new double[n];
    double[] gflops = new double[n];
    Map<String, double[]> byCategory = new LinkedHashMap<>();
    for (String c : categories) {
      byCategory.put(c, new double[n]);
    }
    Map<String, double[]> memory = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> s = JsonReader.object(stepList.get(i));
      stepNumbers.add(JsonReader.number(s, "step", i + 1));
      wall[i] = JsonReader.number(s, "wall_ns", 0);
      flops[i] = JsonReader.number(s, "flops", 0);
      ops[i] = JsonReader.number(s, "ops", 0);
      gflops[i] = wall[i] > 0 ? flops[i] / wall[i] : 0;
      for (Map.Entry<String, Object> e : JsonReader.object(s.get("breakdown_ns")).entrySet()) {
        byCategory.computeIfAbsent(e.getKey(), k -> new double[n])[i] =
            e.getValue() instanceof Double ? (Double) e.getValue() : 0;
      }
      // The step's memory series (absent in a step: 0 there); its creation sites are no per-step quantity.
      for (Map.Entry<String, Object> e : JsonReader.object(s.get("memory")).entrySet()) {
        if (e.getValue() instanceof Double) {
          memory.computeIfAbsent(e.getKey(), k -> new double[n])[i] = (Double) e.getValue();
        }
      }
    }
    add(new Quantity("step", "wall", "time", "ns", wall, true));
    add(new Quantity("step", "flops", "flops", "flop", flops, true));
    add(new Quantity("step", "ops", "count", "1", ops, true));
    add(new Quantity("step", "gflops", "gflops", "GFLOP/s", gflops, true));
    for (Map.Entry<String, double[]> e : byCategory.entrySet()) {
      add(new Quantity("category", e.getKey(), "time", "ns", e.getValue(), true));
    }
    for (Map.Entry<String, double[]> e : memory.entrySet()) {
      boolean bytes = e.getKey().endsWith("_bytes");
      add(new Quantity("memory", e.getKey(), bytes ? "bytes" : "count", bytes ? "B" : "1", e.getValue(), true));
    }
  }

  /** Run-wide op totals, as per-step means: comparable, but with no step-to-step spread to test against. */
  private void readOpStats(Map<String, Object> summary) {
    double perStep = Math.max(1, stepsInTotals);
    for (Object o : JsonReader.array(summary.get("op_stats"))) {
      Map<String, Object> op = JsonReader.object(o);
      String name = JsonReader.string(op, "kind") + "/" + JsonReader.string(op, "name");
      add(new Quantity("op", name, "count", "1",
          new double[] {JsonReader.number(op, "count", 0) / perStep}, false));
      add(new Quantity("op", name, "time", "ns", new double[] {JsonReader.number(op, "total_ns", 0) / perStep},
          false));
      double flops = JsonReader.number(op, "flops", 0);
      if (flops > 0) {
        add(new Quantity("op", name, "flops", "flop", new double[] {flops / perStep}, false));
        add(new Quantity("op", name, "gflops", "GFLOP/s", new double[] {JsonReader.number(op, "gflops", 0)},
            false));
      }
    }
  }

  void add(Quantity q) {
    quantities.put(q.key(), q);
  }

  /** The analysed steps' numbers, in file order (the trace's steps are matched to them). */
  Map<Long, Integer> stepIndex() {
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < stepNumbers.size(); i++) {
      index.put(stepNumbers.get(i).longValue(), i);
    }
    return index;
  }

  Quantity quantity(String section, String name, String measure) {
    return quantities.get(section + "|" + name + "|" + measure);
  }

  double median(String section, String name, String measure) {
    Quantity q = quantity(section, name, measure);
    return q == null ? Double.NaN : Stats.median(q.values());
  }

  /** The categories present in this run's breakdown, in file order. */
  Set<String> categories() {
    Set<String> names = new LinkedHashSet<>();
    for (Quantity q : quantities.values()) {
      if (q.section().equals("category")) {
        names.add(q.name());
      }
    }
    return names;
  }
}
