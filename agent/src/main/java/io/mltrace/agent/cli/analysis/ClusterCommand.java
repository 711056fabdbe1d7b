package io.mltrace.agent.cli.analysis;

import static io.mltrace.agent.cli.analysis.Format.f;
import static io.mltrace.agent.cli.analysis.Format.html;
import static io.mltrace.agent.cli.analysis.Format.jsonString;

import io.mltrace.agent.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code mltrace cluster DIR... [--out DIR] [--warmup N]}: the output folders of a cluster job's workers (each
 * executor's {@code <output>/<app>/executor-<id>/}, found under the given folders) as one picture: a cluster
 * {@code summary.json} (per-worker breakdown side by side; per step the straggler, by how much and why), one
 * Chrome/Perfetto {@code trace.json} with a process per worker, and a {@code report.html}. The workers' traces are
 * put on the driver's clock by each worker's measured offset (summary.json's {@code clock}, see
 * {@code ClusterClock}); a worker without one keeps its JVM's monotonic clock, which workers on one host share.
 */
final class ClusterCommand {
  static final String USAGE = "usage: mltrace cluster DIR... [--out DIR] [--warmup N]   (DIR: a worker's output"
      + " folder, or a folder holding several, such as <output>/<app-id>)";
  /** How deep under each given folder worker folders are looked for. */
  private static final int MAX_DEPTH = 4;

  private ClusterCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    List<Path> roots = new ArrayList<>();
    Path outDir;
    int warmup;
    try {
      CommandArgs a = CommandArgs.parse(args, java.util.Set.of("--out", "--warmup"));
      a.positional.forEach(p -> roots.add(Paths.get(p)));
      outDir = Paths.get(a.get("--out", "mltrace-cluster"));
      warmup = Integer.parseInt(a.get("--warmup", "0"));
      if (roots.isEmpty() || warmup < 0) {
        throw new IllegalArgumentException(roots.isEmpty() ? "give the workers' output folders" : "--warmup >= 0");
      }
    } catch (IllegalArgumentException e) {
      err.println("mltrace cluster: " + e.getMessage());
      err.println(USAGE);
      return ExitCodes.USAGE;
    }
    try {
      List<Path> folders = workerFolders(roots);
      if (folders.size() < 2) {
        err.println("mltrace cluster: found " + folders.size() + " worker folder(s) with a summary.json under "
            + roots + "; a cluster needs two or more");
        return ExitCodes.USAGE;
      }
      List<ClusterRuns.Worker> workers = new ArrayList<>();
      List<Map<String, Object>> roots2 = new ArrayList<>();
      List<Map<String, Object>> traces = new ArrayList<>();
      for (Path folder : folders) {
        Map<String, Object> summary = JsonReader.object(JsonReader.parse(folder.resolve("summary.json")));
        roots2.add(summary);
        workers.add(worker(folder, summary));
        traces.add(readTrace(folder)); // once: the split waits and the merge both read it, and it can be large
      }
      takeOutTheWaitsBetweenSplits(traces, roots2, workers);
      ClusterRuns runs = new ClusterRuns(workers, warmup);
      Files.createDirectories(outDir);
      Files.writeString(outDir.resolve("summary.json"), json(runs, warmup), StandardCharsets.UTF_8);
      int traced = mergeTraces(traces, workers, outDir.resolve("trace.json"));
      Files.writeString(outDir.resolve("report.html"), report(runs, warmup), StandardCharsets.UTF_8);
      out.print(text(runs, warmup));
      out.println("wrote " + outDir.resolve("summary.json") + ", " + outDir.resolve("report.html")
          + (traced > 0 ? " and " + outDir.resolve("trace.json") + " (" + traced + " workers' traces)" : ""));
      return ExitCodes.OK;
    } catch (IOException | RuntimeException e) {
      err.println("mltrace cluster: " + e.getMessage());
      return ExitCodes.USAGE;
    }
  }

  /**
   * A worker's step that began before its next task came held the wait between splits: for the others' shares, the
   * averaging and the driver's next round ({@link ClusterRuns.Worker#waitedBetweenSplits}). Where the task came is
   * read from the worker's own trace.json (its {@code getInitialModel} spans: recorded there when the step around them
   * was detailed, so in every step with {@code mode=full}); else from the driver's, where its rounds
   * ({@code doIteration}) are spans outside steps in every mode, put on the worker's clock by its measured offset (or
   * as they are, when both ran on one host): then the wait counted ends when the driver began the round, and the
   * round's broadcast and the task's launch stay where the worker put them. The latest such point within the step
   * counts.
   */
  static void takeOutTheWaitsBetweenSplits(List<Map<String, Object>> traces, List<Map<String, Object>> summaries,
      List<ClusterRuns.Worker> workers) {
    int driver = -1;
    for (int i = 0; i < summaries.size(); i++) {
      if ("driver".equals(JsonReader.string(JsonReader.object(summaries.get(i).get("worker")), "role"))) {
        driver = i;
      }
    }
    List<Long> rounds = driver < 0 ? List.of() : spanStarts(traces.get(driver), ".doIteration");
    String driverHost = driver < 0 ? null : workers.get(driver).host;
    for (int i = 0; i < workers.size(); i++) {
      ClusterRuns.Worker w = workers.get(i);
      if (w.starts.isEmpty()) {
        continue;
      }
      List<Long> points = new ArrayList<>(spanStarts(traces.get(i), ".getInitialModel"));
      if (w.clockOffsetNs != null || (driverHost != null && driverHost.equals(w.host))) {
        long offset = w.clockOffsetNs == null ? 0 : w.clockOffsetNs;
        for (long round : rounds) {
          points.add(round - offset); // the driver's clock minus the offset: this worker's
        }
      }
      for (Map.Entry<Long, Long> start : w.starts.entrySet()) {
        long from = start.getValue();
        long to = from + w.walls.get(start.getKey())[1];
        long latest = Long.MIN_VALUE;
        for (long p : points) {
          if (p > from && p < to) {
            latest = Math.max(latest, p);
          }
        }
        if (latest != Long.MIN_VALUE) {
          w.waitedBetweenSplits(start.getKey(), latest - from);
        }
      }
    }
  }

  /**
   * A worker's trace.json (or trace.json.gz), parsed; null when it has none or it cannot be read (a worker killed
   * while writing: its whole copy is what mltrace keeps, but be safe).
   */
  private static Map<String, Object> readTrace(Path folder) {
    Path file = folder.resolve("trace.json");
    if (!Files.exists(file)) {
      file = folder.resolve("trace.json.gz");
    }
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return JsonReader.object(JsonReader.parse(file));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The starts of the spans named {@code *suffix} in a JVM's trace, on its own clock; none without a base. */
  private static List<Long> spanStarts(Map<String, Object> trace, String suffix) {
    List<Long> starts = new ArrayList<>();
    if (trace == null) {
      return starts;
    }
    try {
      Object base = JsonReader.object(trace.get("otherData")).get("clock_base_ns");
      if (!(base instanceof Number)) {
        return starts;
      }
      for (Object o : JsonReader.array(trace.get("traceEvents"))) {
        Map<String, Object> e = JsonReader.object(o);
        String name = JsonReader.string(e, "name");
        if ("X".equals(e.get("ph")) && name != null && name.endsWith(suffix)) {
          starts.add(((Number) base).longValue() + Math.round(JsonReader.number(e, "ts", 0) * 1000));
        }
      }
    } catch (RuntimeException e) {
      return starts; // a trace not as written: the waits stay where the worker put them
    }
    Collections.sort(starts);
    return starts;
  }

  /** Folders holding a {@code summary.json}, under each root (a root may be one), in path order. */
  static List<Path> workerFolders(List<Path> roots) throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root)) {
        throw new IOException("not a folder: " + root);
      }
      try (Stream<Path> s = Files.find(root, MAX_DEPTH, (p, a) -> a.isRegularFile()
          && p.getFileName().toString().equals("summary.json"))) {
        found.addAll(s.map(Path::getParent).sorted().collect(Collectors.toList()));
      }
    }
    return found;
  }

  /** A worker's name ({@code executor 1 (host pid 123)}, or its folder's name) and its steps. */
  static ClusterRuns.Worker worker(Path folder, Map<String, Object> summary) {
    Map<String, Object> id = JsonReader.object(summary.get("worker"));
    String name = folder.getFileName().toString();
    String role = JsonReader.string(id, "role");
    if (role != null) {
      name = (role.equals("executor") ? "executor " + JsonReader.string(id, "executor_id") : role) + " ("
          + JsonReader.string(id, "host") + " pid " + JsonReader.string(id, "pid") + ")";
    }
    ClusterRuns.Worker w = new ClusterRuns.Worker(name, folder.toString());
    w.host = JsonReader.string(id, "host");
    Map<String, Object> clock = JsonReader.object(summary.get("clock"));
    if (clock.containsKey("offset_ns")) {
      w.clockOffsetNs = (long) JsonReader.number(clock, "offset_ns", 0);
      w.clockErrorNs = (long) JsonReader.number(clock, "error_ns", 0);
    }
    for (Object o : JsonReader.array(summary.get("steps"))) {
      Map<String, Object> step = JsonReader.object(o);
      Map<String, Long> breakdown = new LinkedHashMap<>();
      JsonReader.object(step.get("breakdown_ns")).forEach((k, v) -> breakdown.put(k, ((Number) v).longValue()));
      long number = (long) JsonReader.number(step, "step", 0);
      long wall = (long) JsonReader.number(step, "wall_ns", 0);
      if (step.get("start_ns") instanceof Number) {
        w.starts.put(number, ((Number) step.get("start_ns")).longValue());
      }
      if (step.containsKey("iteration")) {
        w.add(number, (long) JsonReader.number(step, "iteration", 0), wall, breakdown);
      } else {
        w.add(number, wall, breakdown);
      }
    }
    return w;
  }

  static String text(ClusterRuns runs, int warmup) {
    StringBuilder t = new StringBuilder();
    t.append(f("cluster: %d workers, %d steps compared %s%s%n", runs.workers.size(), runs.stragglers.size(),
        runs.byIteration ? "iteration by iteration (the framework's count)" : "step by step",
        warmup > 0 ? " (after " + warmup + " warm-up steps)" : ""));
    for (ClusterRuns.Worker w : runs.workers) {
      int slow = runs.slowestCount.get(w.name);
      t.append(f("  %s: %d steps, median %.2f ms; slowest in %d (%.0f %%)%s%n", w.name, w.walls.size(),
          runs.medianWall(w, warmup) / 1e6, slow, pct(slow, runs.stragglers.size()),
          slow > 0 ? ", mostly " + runs.topCause(w.name) : ""));
    }
    t.append(clocks(runs));
    StringBuilder waits = new StringBuilder();
    for (ClusterRuns.Worker w : runs.workers) {
      if (w.splitWaitNs > 0) {
        waits.append(waits.length() == 0 ? "" : ", ").append(f("%s %.1f ms", w.name, w.splitWaitNs / 1e6));
      }
    }
    if (waits.length() > 0) {
      t.append("waited between splits for their next task (split_wait, out of the step times compared): ")
          .append(waits).append('\n');
    }
    String last = runs.lastToFinish();
    if (last != null) {
      List<Long> lags = new ArrayList<>();
      for (ClusterRuns.Straggler st : runs.stragglers) {
        if (last.equals(st.finishedLast())) {
          lags.add(st.finishLagNs());
        }
      }
      t.append(f("finished last: %s in %.0f %% of steps, %.2f ms after the others' median finish (median; %s)%n",
          last, pct(runs.lastCount.get(last), runs.stragglers.size()), ClusterRuns.median(lags) / 1e6,
          runs.finishClock.equals("driver") ? "on the driver's clock" : "on one host's clock"));
    }
    String s = runs.straggler();
    if (s != null) {
      List<Long> margins = new ArrayList<>();
      for (ClusterRuns.Straggler st : runs.stragglers) {
        if (st.worker().equals(s)) {
          margins.add(st.byNs());
        }
      }
      t.append(f("straggler: %s, slowest in %.0f %% of steps, by %.2f ms (median), cause %s%n", s,
          pct(runs.slowestCount.get(s), runs.stragglers.size()), ClusterRuns.median(margins) / 1e6,
          runs.topCause(s)));
    }
    return t.toString();
  }

  /** One line: each worker's offset to the driver's clock, or why the merged trace keeps each worker's own clock. */
  static String clocks(ClusterRuns runs) {
    StringBuilder t = new StringBuilder("clocks: ");
    String sep = "";
    int measured = 0;
    for (ClusterRuns.Worker w : runs.workers) {
      if (w.clockOffsetNs != null) {
        measured++;
        t.append(sep).append(f("%s %+.3f ms ± %.3f", w.name, w.clockOffsetNs / 1e6, w.clockErrorNs / 1e6));
        sep = ", ";
      }
    }
    if (measured == 0) {
      return "clocks: not measured (no clock in the summaries): each worker's trace keeps its own monotonic clock,"
          + " shared only by workers on one host\n";
    }
    return t.append(" (the driver's clock minus the worker's; the merged trace is on the driver's clock"
        + (measured < runs.workers.size() ? ", except workers without a measurement" : "") + ")\n").toString();
  }

  static String json(ClusterRuns runs, int warmup) {
    StringBuilder j = new StringBuilder("{\n  \"warmup_steps\": ").append(warmup)
        .append(",\n  \"compared_by\": ").append(jsonString(runs.byIteration ? "iteration" : "step"))
        .append(",\n  \"steps_compared\": ").append(runs.stragglers.size()).append(",\n  \"workers\": [");
    for (int i = 0; i < runs.workers.size(); i++) {
      ClusterRuns.Worker w = runs.workers.get(i);
      j.append(i == 0 ? "\n" : ",\n").append("    {\"name\": ").append(jsonString(w.name))
          .append(", \"folder\": ").append(jsonString(w.folder))
          .append(", \"steps\": ").append(w.walls.size())
          .append(", \"median_step_ns\": ").append(runs.medianWall(w, warmup))
          .append(", \"slowest_in_steps\": ").append(runs.slowestCount.get(w.name))
          .append(", \"clock_offset_ns\": ").append(w.clockOffsetNs == null ? "null" : w.clockOffsetNs.toString())
          .append(", \"clock_error_ns\": ").append(w.clockOffsetNs == null ? "null" : Long.toString(w.clockErrorNs))
          .append(", \"breakdown_ns\": {");
      String sep = "";
      for (Map.Entry<String, Long> c : ClusterRuns.totals(w, warmup).entrySet()) {
        j.append(sep).append(jsonString(c.getKey())).append(": ").append(c.getValue());
        sep = ", ";
      }
      j.append("}}");
    }
    j.append("\n  ],\n  \"straggler\": ");
    String s = runs.straggler();
    if (s == null) {
      j.append("null");
    } else {
      j.append("{\"worker\": ").append(jsonString(s)).append(", \"share_of_steps\": ")
          .append(Format.json(runs.slowestCount.get(s) / (double) runs.stragglers.size()))
          .append(", \"cause\": ").append(jsonString(runs.topCause(s))).append('}');
    }
    String last = runs.lastToFinish();
    j.append(",\n  \"finish_clock\": ").append(runs.finishClock == null ? "null" : jsonString(runs.finishClock))
        .append(",\n  \"finished_last\": ");
    if (last == null) {
      j.append("null");
    } else {
      j.append("{\"worker\": ").append(jsonString(last)).append(", \"share_of_steps\": ")
          .append(Format.json(runs.lastCount.get(last) / (double) runs.stragglers.size())).append('}');
    }
    j.append(",\n  \"steps\": [");
    for (int i = 0; i < runs.stragglers.size(); i++) {
      ClusterRuns.Straggler st = runs.stragglers.get(i);
      j.append(i == 0 ? "\n" : ",\n").append("    {");
      if (runs.byIteration) {
        j.append("\"iteration\": ").append(st.key()).append(", ");
      }
      j.append("\"step\": ").append(st.step())
          .append(", \"straggler\": ").append(jsonString(st.worker()))
          .append(", \"wall_ns\": ").append(st.wallNs())
          .append(", \"others_median_ns\": ").append(st.othersMedianNs())
          .append(", \"by_ns\": ").append(st.byNs())
          .append(", \"cause\": ").append(jsonString(st.cause()))
          .append(st.finishedLast() == null ? "" : ", \"finished_last\": " + jsonString(st.finishedLast())
              + ", \"finish_lag_ns\": " + st.finishLagNs())
          .append(", \"cause_grew_ns\": ").append(st.causeNs()).append('}');
    }
    return j.append("\n  ]\n}\n").toString();
  }

  static String report(ClusterRuns runs, int warmup) {
    StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mltrace cluster"
        + "</title><style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}"
        + "td,th{border:1px solid #ccd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
        + "</style></head><body>\n<h1>Cluster</h1>\n<pre>").append(html(text(runs, warmup))).append("</pre>\n");
    List<String> categories = new ArrayList<>();
    for (ClusterRuns.Worker w : runs.workers) {
      for (String c : ClusterRuns.totals(w, warmup).keySet()) {
        if (!categories.contains(c)) {
          categories.add(c);
        }
      }
    }
    h.append("<h2>Breakdown per worker (ms, steps after the warm-up)</h2>\n<table><tr><th>worker</th><th>steps</th>"
        + "<th>median step</th>");
    categories.forEach(c -> h.append("<th>").append(html(c)).append("</th>"));
    h.append("</tr>\n");
    for (ClusterRuns.Worker w : runs.workers) {
      Map<String, Long> t = ClusterRuns.totals(w, warmup);
      h.append("<tr><td>").append(html(w.name)).append("</td><td>").append(w.walls.size()).append("</td><td>")
          .append(f("%.2f", runs.medianWall(w, warmup) / 1e6)).append("</td>");
      categories.forEach(c -> h.append("<td>").append(f("%.1f", t.getOrDefault(c, 0L) / 1e6)).append("</td>"));
      h.append("</tr>\n");
    }
    h.append("</table>\n<h2>Slowest step and last to finish, ").append(runs.byIteration ? "iteration by iteration"
        : "step by step").append("</h2>\n<table><tr><th>").append(runs.byIteration ? "iteration" : "step")
        .append("</th><th>slowest step</th><th>its step, ms</th><th>others (median), ms</th><th>by, ms</th>"
        + "<th>cause</th><th>grew by, ms</th><th>finished last</th><th>after the others (median), ms</th></tr>\n");
    for (ClusterRuns.Straggler st : runs.stragglers) {
      h.append(f("<tr><td>%d</td><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%s</td><td>%.2f</td>",
          st.key(), html(st.worker()), st.wallNs() / 1e6, st.othersMedianNs() / 1e6, st.byNs() / 1e6,
          html(st.cause()), st.causeNs() / 1e6));
      h.append(st.finishedLast() == null ? "<td></td><td></td></tr>\n"
          : f("<td>%s</td><td>%.2f</td></tr>%n", html(st.finishedLast()), st.finishLagNs() / 1e6));
    }
    return h.append("</table>\n</body></html>\n").toString();
  }

  /**
   * One trace with a process per worker, on one clock: each worker's events move by where its trace's ts 0 lies on
   * the driver's clock (the trace's {@code clock_base_ns} plus summary.json's {@code clock} offset; a worker without
   * an offset stays on its own monotonic clock, which workers on one host share; a trace without a base is left as
   * written), and get the worker's process id ({@code (worker + 1) * 1000 + their own}, so a worker's GPU processes stay apart) and its name. Workers
   * without a readable trace are left out; returns how many were merged.
   */
  static int mergeTraces(List<Map<String, Object>> traces, List<ClusterRuns.Worker> workers, Path target)
      throws IOException {
    // Each trace's ts 0 is its JVM's first event (clock_base_ns, on its System.nanoTime); on the driver's clock that
    // is base + offset. The merged trace starts at the earliest of those.
    long[] start = new long[traces.size()];
    boolean[] onClock = new boolean[traces.size()];
    long earliest = Long.MAX_VALUE;
    for (int i = 0; i < traces.size(); i++) {
      Map<String, Object> trace = traces.get(i);
      Map<String, Object> other = trace == null ? Map.of() : JsonReader.object(trace.get("otherData"));
      if (other.get("clock_base_ns") instanceof Number) {
        onClock[i] = true;
        Long offset = workers.get(i).clockOffsetNs;
        start[i] = ((Number) other.get("clock_base_ns")).longValue() + (offset == null ? 0 : offset);
        earliest = Math.min(earliest, start[i]);
      }
    }
    StringBuilder t = new StringBuilder("{\"displayTimeUnit\": \"ms\", \"otherData\": {\"producer\": \"mltrace"
        + " cluster\"},\n\"traceEvents\": [");
    int merged = 0;
    boolean first = true;
    for (int i = 0; i < traces.size(); i++) {
      if (traces.get(i) == null) {
        continue;
      }
      merged++;
      int base = (i + 1) * 1000;
      double shiftMicros = onClock[i] ? (start[i] - earliest) / 1000.0 : 0;
      for (Object o : JsonReader.array(traces.get(i).get("traceEvents"))) {
        Map<String, Object> e = new LinkedHashMap<>(JsonReader.object(o));
        long pid = base + (long) JsonReader.number(e, "pid", 1);
        e.put("pid", (double) pid);
        if (shiftMicros != 0 && e.get("ts") instanceof Number) {
          e.put("ts", ((Number) e.get("ts")).doubleValue() + shiftMicros);
        }
        if ("process_name".equals(e.get("name")) && "M".equals(e.get("ph"))) {
          Map<String, Object> a = new LinkedHashMap<>(JsonReader.object(e.get("args")));
          a.put("name", workers.get(i).name + " " + JsonReader.string(a, "name"));
          e.put("args", a);
        }
        t.append(first ? "\n" : ",\n");
        first = false;
        write(t, e);
      }
    }
    Files.writeString(target, t.append("\n]}\n").toString(), StandardCharsets.UTF_8);
    return merged;
  }

  private static void write(StringBuilder out, Object v) {
    if (v instanceof Map) {
      out.append('{');
      String sep = "";
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        out.append(sep).append(jsonString(String.valueOf(e.getKey()))).append(": ");
        write(out, e.getValue());
        sep = ", ";
      }
      out.append('}');
    } else if (v instanceof List) {
      out.append('[');
      String sep = "";
      for (Object x : (List<?>) v) {
        out.append(sep);
        write(out, x);
        sep = ", ";
      }
      out.append(']');
    } else if (v instanceof String) {
      out.append(jsonString((String) v));
    } else if (v instanceof Double) {
      // Every digit: a timestamp in microseconds needs nanosecond decimals at any magnitude (not Format.json's 6).
      double d = (Double) v;
      out.append(Double.isFinite(d) ? (d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d)
          : new java.math.BigDecimal(Double.toString(d)).toPlainString()) : "null");
    } else {
      out.append(v); // Boolean or null
    }
  }

  private static double pct(int part, int whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }
}
