package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads per-step detail from a run's {@code trace.json} into its {@link RunProfile}: for each detailed step that
 * is analysed, the time of each phase and data span, each op's count, time and FLOPs, each GPU kernel's (or
 * copy's) count and time (the step's memory comes from {@code summary.json}, every step). A quantity absent from a step counts as 0 there.
 */
final class TraceSteps {
  private final RunProfile run;
  private final Map<String, double[]> series = new LinkedHashMap<>();
  private final Map<String, String[]> meta = new LinkedHashMap<>();
  private Map<Long, Integer> position;
  private int n;

  TraceSteps(RunProfile run) {
    this.run = run;
  }

  void read(Map<String, Object> trace) {
    List<Object> events = JsonReader.array(trace.get("traceEvents"));
    Map<Long, Integer> analysed = run.stepIndex();
    List<Long> detailed = new ArrayList<>();
    for (Object o : events) {
      Map<String, Object> e = JsonReader.object(o);
      if ("step".equals(e.get("cat")) && "X".equals(e.get("ph"))) {
        Map<String, Object> args = JsonReader.object(e.get("args"));
        long step = (long) JsonReader.number(args, "step", -1);
        if (analysed.containsKey(step)) {
          detailed.add(step);
        }
      }
    }
    Collections.sort(detailed);
    position = new LinkedHashMap<>();
    for (int i = 0; i < detailed.size(); i++) {
      position.put(detailed.get(i), i);
    }
    n = detailed.size();
    for (Object o : events) {
      Map<String, Object> e = JsonReader.object(o);
      if ("X".equals(e.get("ph"))) {
        span(e);
      }
    }
    for (Map.Entry<String, double[]> s : series.entrySet()) {
      String[] m = meta.get(s.getKey());
      run.add(new Quantity(m[0], m[1], m[2], m[3], s.getValue(), true));
    }
    addOpThroughput();
  }

  private void span(Map<String, Object> e) {
    String cat = String.valueOf(e.get("cat"));
    String name = String.valueOf(e.get("name"));
    Map<String, Object> args = JsonReader.object(e.get("args"));
    double durNs = JsonReader.number(e, "dur", 0) * 1000;
    boolean gpu = cat.startsWith("gpu.");
    Integer at = position.get((long) JsonReader.number(args, gpu ? "in_step" : "step", -1));
    if (at == null) {
      return;
    }
    switch (cat) {
      case "phase":
        add("phase", name, "time", "ns", at, durNs);
        break;
      case "data":
        add("phase", "data/" + name, "time", "ns", at, durNs);
        break;
      case "gemm":
      case "op":
      case "copy":
        String op = cat + "/" + name;
        add("op", op, "count", "1", at, 1);
        add("op", op, "time", "ns", at, durNs);
        double flops = JsonReader.number(args, "flops", 0);
        if (flops > 0 && !Boolean.TRUE.equals(args.get("estimate"))) {
          add("op", op, "flops", "flop", at, flops);
        }
        break;
      default:
        if (gpu) {
          String kernel = cat.substring(4) + "/" + name;
          add("kernel", kernel, "count", "1", at, 1);
          add("kernel", kernel, "time", "ns", at, durNs);
        }
    }
  }

  /** GFLOP/s inside each GEMM op, per step: its FLOPs over its time. */
  private void addOpThroughput() {
    for (Map.Entry<String, String[]> m : new ArrayList<>(meta.entrySet())) {
      String[] key = m.getValue();
      if (!key[0].equals("op") || !key[2].equals("flops")) {
        continue;
      }
      double[] flops = series.get(m.getKey());
      double[] time = series.get("op|" + key[1] + "|time");
      double[] gflops = new double[n];
      for (int i = 0; i < n; i++) {
        gflops[i] = time[i] > 0 ? flops[i] / time[i] : 0;
      }
      run.add(new Quantity("op", key[1], "gflops", "GFLOP/s", gflops, true));
    }
  }

  private void add(String section, String name, String measure, String unit, int at, double value) {
    String key = section + "|" + name + "|" + measure;
    double[] values = series.get(key);
    if (values == null) {
      values = new double[n];
      series.put(key, values);
      meta.put(key, new String[] {section, name, measure, unit});
    }
    values[at] += value;
  }
}
