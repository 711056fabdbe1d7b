package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference calls ({@code inference} root spans: {@code predict}, {@code batchPredict}) read from a trace, grouped
 * by batch size: the first dimension of the input shape of the first layer span below each call.
 */
final class InferenceCalls {
  private InferenceCalls() {}

  static Map<Integer, List<Double>> durationsByBatch(Map<String, Object> trace) {
    Map<Double, Map<String, Object>> spans = new HashMap<>();
    List<Map<String, Object>> roots = new ArrayList<>();
    List<Map<String, Object>> layers = new ArrayList<>();
    for (Object o : JsonReader.array(trace.get("traceEvents"))) {
      Map<String, Object> e = JsonReader.object(o);
      if (!"X".equals(e.get("ph"))) {
        continue;
      }
      Map<String, Object> args = JsonReader.object(e.get("args"));
      spans.put(JsonReader.number(args, "span_id", 0), e);
      if ("inference".equals(e.get("cat"))) {
        roots.add(e);
      } else if ("layer".equals(e.get("cat")) && args.containsKey("input_shapes")) {
        layers.add(e);
      }
    }
    Map<Map<String, Object>, Integer> batchOf = new IdentityHashMap<>();
    for (Map<String, Object> layer : layers) {
      Map<String, Object> root = rootOf(layer, spans);
      if (root != null && !batchOf.containsKey(root)) {
        List<Object> shapes = JsonReader.array(JsonReader.object(layer.get("args")).get("input_shapes"));
        List<Object> first = shapes.isEmpty() ? List.of() : JsonReader.array(shapes.get(0));
        if (!first.isEmpty()) {
          batchOf.put(root, ((Double) first.get(0)).intValue());
        }
      }
    }
    roots.sort((a, b) -> Double.compare(JsonReader.number(a, "ts", 0), JsonReader.number(b, "ts", 0)));
    Map<Integer, List<Double>> out = new LinkedHashMap<>();
    for (Map<String, Object> root : roots) {
      Integer batch = batchOf.get(root);
      if (batch != null) {
        out.computeIfAbsent(batch, k -> new ArrayList<>()).add(JsonReader.number(root, "dur", 0) * 1000);
      }
    }
    return out;
  }

  private static Map<String, Object> rootOf(Map<String, Object> span, Map<Double, Map<String, Object>> spans) {
    Map<String, Object> at = span;
    for (int depth = 0; depth < 64 && at != null; depth++) {
      if ("inference".equals(at.get("cat"))) {
        return at;
      }
      at = spans.get(JsonReader.number(JsonReader.object(at.get("args")), "parent_id", 0));
    }
    return null;
  }
}
