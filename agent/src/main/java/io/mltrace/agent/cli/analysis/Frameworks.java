package io.mltrace.agent.cli.analysis;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which framework a run traced, inferred from the names its hooks give (the files do not name it): DJL's
 * {@code trainBatch}/{@code optimizer} phases and {@code linear}/{@code convolution} ops, DL4J's
 * {@code optimize}/{@code updater} phases, {@code etl} data spans and {@code mmul}/{@code conv2d}/{@code lstmLayer}
 * ops. {@code unknown} when neither shows.
 */
final class Frameworks {
  private static final Set<String> DJL = Set.of("trainBatch", "optimizer", "batchify", "batch.close", "linear",
      "convolution", "lstm", "batchPredict");
  private static final Set<String> DL4J = Set.of("optimize", "updater", "etl", "etl.hasNext", "mmul", "conv2d",
      "lstmLayer", "im2col");

  private Frameworks() {}

  static String infer(Map<String, Object> summary, Map<String, Object> trace) {
    int djl = 0;
    int dl4j = 0;
    for (Object o : JsonReader.array(summary.get("op_stats"))) {
      String name = JsonReader.string(JsonReader.object(o), "name");
      djl += DJL.contains(name) ? 1 : 0;
      dl4j += DL4J.contains(name) ? 1 : 0;
    }
    if (trace != null) {
      List<Object> events = JsonReader.array(trace.get("traceEvents"));
      for (int i = 0; i < Math.min(events.size(), 20_000); i++) {
        Object name = JsonReader.object(events.get(i)).get("name");
        djl += DJL.contains(name) ? 1 : 0;
        dl4j += DL4J.contains(name) ? 1 : 0;
      }
    }
    if (djl == dl4j) {
      return "unknown";
    }
    return djl > dl4j ? "DJL" : "DL4J";
  }
}
