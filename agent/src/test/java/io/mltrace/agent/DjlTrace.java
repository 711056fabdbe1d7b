package io.mltrace.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A trace.json written by the agent, read back as spans with their nesting, for the DJL integration tests. */
final class DjlTrace {
  /** One complete event ({@code "ph": "X"}). Times in microseconds. */
  static final class Event {
    final String cat;
    final String name;
    final double ts;
    final double dur;
    final long spanId;
    final long parentId;
    final long step;
    final long flops;
    final long bytes;
    final boolean estimate;
    final String dtype;
    final long[][] shapes;

    Event(JsonNode e) {
      JsonNode a = e.get("args");
      cat = e.get("cat").asText();
      name = e.get("name").asText();
      ts = e.get("ts").asDouble();
      dur = e.get("dur").asDouble();
      spanId = a.get("span_id").asLong();
      parentId = a.path("parent_id").asLong(0);
      step = a.path("step").asLong(0);
      flops = a.path("flops").asLong(0);
      bytes = a.path("bytes").asLong(0);
      estimate = a.path("estimate").asBoolean(false);
      dtype = a.has("dtype") ? a.get("dtype").asText() : null;
      JsonNode s = a.path("input_shapes");
      shapes = new long[s.size()][];
      for (int i = 0; i < s.size(); i++) {
        shapes[i] = new long[s.get(i).size()];
        for (int j = 0; j < s.get(i).size(); j++) {
          shapes[i][j] = s.get(i).get(j).asLong();
        }
      }
    }

    double end() {
      return ts + dur;
    }

    String shapesText() {
      return Arrays.stream(shapes).map(Arrays::toString).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
      return cat + ":" + name + "[" + shapesText() + "] flops " + flops;
    }
  }

  final List<Event> events = new ArrayList<>();
  final Map<Long, Event> bySpan = new HashMap<>();
  /** Step number → the step's event. */
  final TreeMap<Long, Event> steps = new TreeMap<>();
  final JsonNode summary;

  DjlTrace(Path outputDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (JsonNode e : json.readTree(outputDir.resolve("trace.json").toFile()).get("traceEvents")) {
      if (!"X".equals(e.path("ph").asText())) {
        continue;
      }
      Event ev = new Event(e);
      events.add(ev);
      bySpan.put(ev.spanId, ev);
      if (ev.cat.equals("step")) {
        steps.put(ev.step, ev);
      }
    }
    summary = json.readTree(outputDir.resolve("summary.json").toFile());
  }

  List<Event> children(Event parent) {
    return events.stream().filter(e -> e.parentId == parent.spanId && !e.cat.equals("step"))
        .sorted(Comparator.comparingDouble(e -> e.ts)).collect(Collectors.toList());
  }

  /** The span's ancestors, innermost first, up to and including its step. */
  List<Event> ancestors(Event e) {
    List<Event> chain = new ArrayList<>();
    for (Event p = bySpan.get(e.parentId); p != null; p = bySpan.get(p.parentId)) {
      chain.add(p);
      if (p.cat.equals("step")) {
        break;
      }
    }
    return chain;
  }

  /** The spans of one step (ops, layers, phases), in start order. */
  List<Event> inStep(long step) {
    return events.stream().filter(e -> e.step == step && !e.cat.equals("step"))
        .sorted(Comparator.comparingDouble(e -> e.ts)).collect(Collectors.toList());
  }

  /** Measured (not estimated) ops of a step with this name. */
  List<Event> ops(long step, String name) {
    return inStep(step).stream().filter(e -> e.name.equals(name) && !e.estimate
        && (e.cat.equals("gemm") || e.cat.equals("op") || e.cat.equals("copy"))).collect(Collectors.toList());
  }

  /** Count of measured ops by name in one step. */
  Map<String, Long> opCounts(long step) {
    return inStep(step).stream().filter(e -> !e.estimate && (e.cat.equals("gemm") || e.cat.equals("op")
        || e.cat.equals("copy"))).collect(Collectors.groupingBy(e -> e.name, TreeMap::new, Collectors.counting()));
  }

  /**
   * The phases and data fetches directly under a step, in order, with repeats of the same name in a row folded
   * (a fetch may be several data spans: {@code hasNext} and {@code next}); releasing the previous batch
   * ({@code batch.close}) is left out.
   */
  List<String> phaseNames(Event step) {
    List<String> names = new ArrayList<>();
    for (Event e : children(step)) {
      if ((e.cat.equals("phase") || e.cat.equals("data")) && !e.name.equals("batch.close")
          && (names.isEmpty() || !names.get(names.size() - 1).equals(e.name))) {
        names.add(e.name);
      }
    }
    return names;
  }

  /** The first direct child of {@code parent} with this name. */
  Event child(Event parent, String name) {
    return children(parent).stream().filter(e -> e.name.equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " under " + parent));
  }

  /** Share of the step's wall time covered by the union of its direct children. */
  double childCoverage(Event step) {
    List<Event> kids = children(step);
    double covered = 0;
    double curStart = Double.NaN;
    double curEnd = Double.NaN;
    for (Event k : kids) {
      double s = Math.max(k.ts, step.ts);
      double e = Math.min(k.end(), step.end());
      if (e <= s) {
        continue;
      }
      if (Double.isNaN(curStart) || s > curEnd) {
        if (!Double.isNaN(curStart)) {
          covered += curEnd - curStart;
        }
        curStart = s;
        curEnd = e;
      } else {
        curEnd = Math.max(curEnd, e);
      }
    }
    if (!Double.isNaN(curStart)) {
      covered += curEnd - curStart;
    }
    return step.dur == 0 ? 0 : covered / step.dur;
  }

  /** Median child coverage over every step but the first (which pays class loading and first-call costs). */
  double medianCoverageAfterFirstStep() {
    double[] c = steps.values().stream().filter(s -> s.step > steps.firstKey()).mapToDouble(this::childCoverage)
        .sorted().toArray();
    return c.length == 0 ? 0 : c[c.length / 2];
  }

  /** The names of the phases on the path from an op to its step, outermost first (layers and ops left out). */
  List<String> phasePath(Event e) {
    List<String> names = new ArrayList<>();
    for (Event a : ancestors(e)) {
      if (a.cat.equals("phase") || a.cat.equals("data")) {
        names.add(0, a.name);
      }
    }
    return names;
  }
}
