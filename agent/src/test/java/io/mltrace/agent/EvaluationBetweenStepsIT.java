package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training loop that validates between its iterations, as most real jobs do: the validation pass is in no
 * training step, the step after it gets its own input time and nothing else, and the pass's time is reported
 * (summary.json's {@code outside_steps}) as the job measured it. Hand-written loops, in the production mode (a
 * bare {@code -javaagent}) and, for DJL, with every step detailed: DJL's {@code Trainer.evaluate} and the loss on its
 * output; DL4J's {@code evaluate} over an iterator and {@code score} of each batch, in a loop that calls
 * {@code fit(DataSet)}.
 *
 * <p>Before, the DJL pass ran inside the next step (a step 10 times its neighbours', billed as its forward compute)
 * and the DL4J pass was billed to the next step as input time ({@code data}), before its {@code fit}. A pass is
 * detailed (its ops recorded) when the step after it is, as a counted step's ops are not.
 *
 * <p>The same for a checkpoint the loop saves between two iterations (DJL's {@code Model.save}, DL4J's
 * {@code net.save}): before, its write was the next step's input time.
 */
class EvaluationBetweenStepsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 150;
  static final int VALIDATE_EVERY = 25;
  static final int VALIDATE_BATCHES = 40;
  static final int PASSES = (STEPS - 1) / VALIDATE_EVERY;
  static final int CHECKPOINT_EVERY = 30;
  static final int CHECKPOINTS = (STEPS - 1) / CHECKPOINT_EVERY;
  /** What the job timed between two steps: a validation pass, or a checkpoint's save. */
  static final Pattern VALIDATION = Pattern.compile("(?:val|save)truth step (\\d+) ns (\\d+) calls (\\d+)");
  static final Pattern LOADING = Pattern.compile("datatruth step (\\d+) ns (\\d+)");
  static final Pattern INSIDE = Pattern.compile("stepsave step (\\d+) ns (\\d+)");

  @TempDir
  Path out;

  @Test
  void djlProductionMode() throws Exception {
    Run run = run("io.mltrace.examples.groundtruth.DjlDataSources", "", "--model", "mlp");
    check(run, List.of("evaluate", "loss"), PASSES * VALIDATE_BATCHES);
    // No pass here precedes a detailed step (one in 100): their GEMMs are in no record, only the passes' time.
    assertTrue(run.gemmSpans < PASSES * VALIDATE_BATCHES / 4, run.gemmSpans + " GEMM spans in the trace");
  }

  /**
   * A pass that also updates the trainer's evaluators ({@code Evaluator.updateAccumulator}, the validation accuracy):
   * that call is the pass's too. Before its root, its ops ran after the last {@code Trainer.evaluate} returned, in
   * the step the root's end had opened, and were billed to that step.
   */
  @Test
  void djlValidationMetricsProductionMode() throws Exception {
    Run run = run("io.mltrace.examples.groundtruth.DjlDataSources", "", validating(true), "--model", "mlp");
    check(run, List.of("evaluate", "loss", "updateAccumulator"), -1);
    int batches = PASSES * VALIDATE_BATCHES;
    assertEquals(batches, run.outside.get("evaluate")[0], "evaluate calls");
    // The loss's own update computes the loss again: inside the update's root, not a root of its own.
    assertEquals(batches, run.outside.get("loss")[0], "loss calls");
    // Two evaluators: the accuracy and the trainer's loss.
    assertEquals(2 * batches, run.outside.get("updateAccumulator")[0], "updateAccumulator calls");
  }

  @Test
  void djlEveryStepDetailed() throws Exception {
    Run run = run("io.mltrace.examples.groundtruth.DjlDataSources", ",mode=full", "--model", "mlp");
    check(run, List.of("evaluate", "loss"), PASSES * VALIDATE_BATCHES);
    // Every pass precedes a detailed step: each validation batch's two linear layers are GEMM spans in its root.
    assertTrue(run.gemmSpans >= 2 * PASSES * VALIDATE_BATCHES, run.gemmSpans + " GEMM spans in the trace");
  }

  @Test
  void dl4jProductionMode() throws Exception {
    Run run = run("io.mltrace.examples.dl4j.Dl4jDataSources", "");
    check(run, List.of("evaluate", "score"), -1);
    assertTrue(run.gemmSpans < PASSES * VALIDATE_BATCHES / 4, run.gemmSpans + " GEMM spans in the trace");
    // One evaluate per pass; a score per validation batch, and the job's final one after training.
    assertEquals(PASSES, run.outside.get("evaluate")[0], run.output);
    assertEquals(PASSES * VALIDATE_BATCHES + 1, run.outside.get("score")[0], run.output);
  }

  /**
   * A pass that also runs each batch through {@code output} and fills an {@code Evaluation} with it: both are the
   * pass's. Before, the output calls were in no total and the evaluation's ops were lost with the step the output's
   * end had opened.
   */
  @Test
  void dl4jValidationMetricsProductionMode() throws Exception {
    Run run = run("io.mltrace.examples.dl4j.Dl4jDataSources", "", validating(true));
    check(run, List.of("evaluate", "score", "output", "eval"), -1);
    int batches = PASSES * VALIDATE_BATCHES;
    assertEquals(batches, run.outside.get("output")[0], run.output);
    assertEquals(batches, run.outside.get("eval")[0], "evaluate(iterator) fills its evaluation inside its root");
  }

  @Test
  void djlCheckpointsProductionMode() throws Exception {
    Run run = checkpoints("io.mltrace.examples.groundtruth.DjlDataSources", "--model", "mlp");
    check(run, List.of("save"), CHECKPOINTS, CHECKPOINTS);
  }

  @Test
  void dl4jCheckpointsProductionMode() throws Exception {
    Run run = checkpoints("io.mltrace.examples.dl4j.Dl4jDataSources");
    check(run, List.of("save"), CHECKPOINTS, CHECKPOINTS);
  }

  /**
   * A checkpoint saved inside the iteration (between the backward pass and {@code Trainer.step}, no span open) is part
   * of that step: before, the root forgot the open step, and every step that saved was missing from the summary.
   */
  @Test
  void djlCheckpointInsideTheIterationIsPartOfItsStep() throws Exception {
    Run run = run("io.mltrace.examples.groundtruth.DjlDataSources", "", List.of("--checkpoint-every",
        String.valueOf(CHECKPOINT_EVERY), "--checkpoint-inside", "true"), "--model", "mlp");
    assertEquals(STEPS, run.steps.size(), "every iteration is a step, those that saved too: " + run.output);
    assertEquals(CHECKPOINTS, run.insideNs.size(), run.output);
    assertTrue(!run.outside.containsKey("save"), "no save outside steps: " + run.summary.get("outside_steps"));
    for (Map.Entry<Integer, Long> e : run.insideNs.entrySet()) {
      JsonNode s = run.steps.get(e.getKey() - 1);
      assertEquals((int) e.getKey(), s.get("step").asInt());
      assertTrue(s.get("wall_ns").asLong() > e.getValue(), "step " + e.getKey() + " holds its " + e.getValue()
          + " ns save: " + s);
    }
  }

  private Run run(String mainClass, String agentOptions, String... jobArgs) throws Exception {
    return run(mainClass, agentOptions, validating(false), jobArgs);
  }

  /** The job's arguments for a validation pass every {@link #VALIDATE_EVERY} steps, with metrics or without. */
  private static List<String> validating(boolean metrics) {
    return List.of("--validate-every", String.valueOf(VALIDATE_EVERY), "--validate-batches",
        String.valueOf(VALIDATE_BATCHES), "--validate-metrics", String.valueOf(metrics));
  }

  /** A loop that saves a checkpoint between two iterations, in the production mode: the save is in no step. */
  private Run checkpoints(String mainClass, String... jobArgs) throws Exception {
    return run(mainClass, "", List.of("--checkpoint-every", String.valueOf(CHECKPOINT_EVERY)), jobArgs);
  }

  private Run run(String mainClass, String agentOptions, List<String> between, String... jobArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of(jobArgs));
    args.addAll(List.of("--source", "loop", "--steps", String.valueOf(STEPS), "--data-sleep-ms", "1"));
    args.addAll(between);
    ChildJvm.EXTRA_ENV.get().put("OMP_NUM_THREADS", "1");
    ChildJvm child;
    try {
      child = ChildJvm.run("output=" + out + ",report_interval=0,console=summary" + agentOptions, List.of(),
          mainClass, args.toArray(new String[0]));
    } finally {
      ChildJvm.EXTRA_ENV.get().remove("OMP_NUM_THREADS");
    }
    assertEquals(0, child.exitCode, child::toString);
    assertTrue(Files.exists(out.resolve("summary.json")), child::toString);
    Run run = new Run(JSON.readTree(out.resolve("summary.json").toFile()), child.stdout, child.toString());
    // GEMM spans inside the passes' root spans (the jobs also make their data with GEMMs before training).
    List<double[]> roots = new ArrayList<>();
    List<Double> gemms = new ArrayList<>();
    for (JsonNode e : JSON.readTree(out.resolve("trace.json").toFile()).get("traceEvents")) {
      String cat = e.path("cat").asText();
      if (cat.equals("inference")) {
        roots.add(new double[] {e.get("ts").asDouble(), e.get("ts").asDouble() + e.get("dur").asDouble()});
      } else if (cat.equals("gemm")) {
        gemms.add(e.get("ts").asDouble());
      }
    }
    for (double ts : gemms) {
      if (roots.stream().anyMatch(r -> ts >= r[0] && ts < r[1])) {
        run.gemmSpans++;
      }
    }
    return run;
  }

  /** As {@link #check(Run, List, int, int)} for the validating loop. */
  private static void check(Run run, List<String> names, int calls) {
    check(run, names, calls, PASSES);
  }

  /**
   * @param calls how many calls each of {@code names} made, or -1 when the caller checked them
   * @param count how many times the loop worked between two steps (validated, or saved)
   */
  private static void check(Run run, List<String> names, int calls, int count) {
    assertEquals(STEPS, run.steps.size(), "every training iteration is a step, and only they: " + run.output);
    assertEquals(count, run.passNs.size(), run.output);
    long passes = 0;
    for (long ns : run.passNs.values()) {
      passes += ns;
    }
    List<Double> beside = new ArrayList<>();
    for (JsonNode s : run.steps) {
      beside.add(s.get("wall_ns").asDouble() - run.loadingNs.getOrDefault(s.get("step").asInt(), 0L));
    }
    List<Double> sorted = new ArrayList<>(beside);
    sorted.sort(null);
    double median = sorted.get(sorted.size() / 2);
    double excess = 0;
    int folded = 0;
    StringBuilder afterPasses = new StringBuilder();
    for (int step : run.passNs.keySet()) {
      JsonNode s = run.steps.get(step - 1);
      assertEquals(step, s.get("step").asInt());
      JsonNode b = s.get("breakdown_ns");
      long loading = run.loadingNs.get(step);
      double data = b.get("data").asDouble();
      // What outranks data in the loading: the JVM's pauses, a sleep overslept (idle), the batch's copies.
      double outranking = b.get("gc").asDouble() + b.get("jit_safepoint").asDouble() + b.get("idle").asDouble()
          + b.get("memcpy").asDouble();
      String what = String.format(Locale.ROOT, "step %d after a %.1f ms pass: wall %.2f ms, data %.2f ms, loading"
          + " %.2f ms (the job's); %s", step, run.passNs.get(step) / 1e6, s.get("wall_ns").asDouble() / 1e6,
          data / 1e6, loading / 1e6, b);
      afterPasses.append("\n  ").append(what);
      double tolerance = Math.max(0.2 * loading, 500_000);
      // Its input time is its loading: not the pass's work (DL4J's ran before fit, as input time) ...
      assertTrue(data < loading + tolerance, what + ": the pass is not data");
      // ... nor less: the step opens where the pass ended.
      assertTrue(data + outranking > loading - tolerance, what + ": the loading after the pass is data");
      double stepExcess = beside.get(step - 1) - median;
      excess += stepExcess;
      if (stepExcess > 0.5 * run.passNs.get(step)) {
        folded++;
      }
    }
    // A pass folded into the step after it would add its whole time to every such step; a stalled step adds a few
    // milliseconds to one, which outweighs a checkpoint's save of 1-2 ms: at most one step may hold more than half
    // of its pass (in 2 of 5 local runs one step of 4 stalled by 7 ms after a 1.4-6.7 ms save).
    assertTrue(folded <= 1, String.format(Locale.ROOT, "%d of %d steps after the passes are longer beside their"
        + " loading than the median step (%.2f ms) by more than half their pass (in all %.1f ms of %.1f ms of"
        + " passes): the passes are in no step%s", folded, run.passNs.size(), median / 1e6, excess / 1e6,
        passes / 1e6, afterPasses));
    long reported = 0;
    for (String name : names) {
      long[] c = run.outside.get(name);
      assertTrue(c != null, name + " in outside_steps: " + run.summary.get("outside_steps"));
      if (calls >= 0) {
        assertEquals(calls, c[0], name + " calls");
      }
      reported += c[1];
    }
    // The roots lie inside what the job timed, which also holds the hooks' own work between two calls.
    double ratio = (double) reported / passes;
    assertTrue(ratio > 0.85 && ratio < 1.1, String.format(Locale.ROOT,
        "outside_steps %s: %.1f ms against the %.1f ms the job measured (%.3f); %s, dropped records %s; passes %s",
        names, reported / 1e6, passes / 1e6, ratio, run.summary.get("outside_steps"),
        run.summary.get("dropped_records"), run.passNs));
  }

  /** One child's summary and what the job printed. */
  private static final class Run {
    final JsonNode summary;
    final List<JsonNode> steps = new ArrayList<>();
    final Map<String, long[]> outside = new HashMap<>();
    final Map<Integer, Long> passNs = new HashMap<>();
    final Map<Integer, Long> loadingNs = new HashMap<>();
    /** Saves the job made inside a step, by step. */
    final Map<Integer, Long> insideNs = new HashMap<>();
    final String output;
    /** GEMM spans in trace.json inside the passes' roots (a detailed pass's GEMM ops). */
    int gemmSpans;

    Run(JsonNode summary, String stdout, String output) {
      this.summary = summary;
      this.output = output;
      summary.get("steps").forEach(steps::add);
      summary.get("outside_steps").fields().forEachRemaining(e -> outside.put(e.getKey(),
          new long[] {e.getValue().get("calls").asLong(), e.getValue().get("total_ns").asLong()}));
      Matcher v = VALIDATION.matcher(stdout);
      while (v.find()) {
        passNs.put(Integer.parseInt(v.group(1)), Long.parseLong(v.group(2)));
      }
      Matcher in = INSIDE.matcher(stdout);
      while (in.find()) {
        insideNs.put(Integer.parseInt(in.group(1)), Long.parseLong(in.group(2)));
      }
      Matcher l = LOADING.matcher(stdout);
      while (l.find()) {
        loadingNs.put(Integer.parseInt(l.group(1)), Long.parseLong(l.group(2)));
      }
    }
  }
}
