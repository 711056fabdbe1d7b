package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mltrace.agent.Dl4jTrace.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DL4J MLP (784-128-10, batch 64) trained with {@code fit(DataSetIterator)} in a child JVM with the agent, its
 * iterator sleeping 40 ms per batch, then two {@code output()} calls.
 */
class Dl4jMlpIT {
  static final int STEPS = 10;
  // 5 % of 10 sleeps of 40 ms is 20 ms: one scheduling delay on a loaded 2-core machine stays inside it.
  static final int SLEEP_US = 40_000;
  static final long FORWARD_FLOPS = 2L * 64 * 128 * 784;

  @TempDir
  static Path out;
  static Dl4jTrace t;

  @BeforeAll
  static void train() throws Exception {
    t = Dl4jTrace.run(out, "--model", "mlp", "--steps", String.valueOf(STEPS), "--sleep-us",
        String.valueOf(SLEEP_US), "--outputs", "2");
  }

  @Test
  void everyIterationIsOneStepAndTheBreakdownSumsToItsWallTime() {
    JsonNode steps = t.summary.get("steps");
    assertEquals(STEPS, steps.size(), t.run::toString);
    assertEquals(STEPS, t.steps.size());
    for (JsonNode step : steps) {
      long sum = 0;
      for (JsonNode v : step.get("breakdown_ns")) {
        sum += v.asLong();
      }
      assertEquals(step.get("wall_ns").asLong(), sum);
    }
  }

  @Test
  void eachStepCarriesTheNetworksIterationCountAsItBegan() {
    // The job's network starts at 0 and fit counts one per batch: step k (from 1) began at iteration k - 1, read by
    // the optimize advice from the Solver's MultiLayerNetwork.
    JsonNode steps = t.summary.get("steps");
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(i, steps.get(i).path("iteration").asLong(-1), steps.get(i)::toString);
    }
  }

  @Test
  void stepsNestEtlAndOptimizeAndPhasesAndLayersAndOps() {
    for (Event step : t.steps) {
      assertEquals(1, step.children("optimize").size(), "one Solver.optimize per step: " + step);
      assertEquals(1, step.children("etl").size(), "one batch fetch per step: " + step);
      Event optimize = step.children("optimize").get(0);
      assertEquals(1, optimize.children("forward").size());
      assertEquals(1, optimize.children("backward").size());
      assertEquals(2, optimize.children("updater").size(), "BaseMultiLayerUpdater.update and StepFunction.step");
      Event forward = optimize.children("forward").get(0);
      Event dense = forward.children("DenseLayer[0]").get(0);
      assertEquals("layer", dense.cat());
      assertEquals(List.of("matmul"), names(dense.children, "gemm"));
      Event backward = optimize.children("backward").get(0);
      assertEquals(List.of("DenseLayer[0].backprop", "OutputLayer[1].backprop"),
          sorted(names(backward.children, "layer")));
    }
  }

  @Test
  void layerSpansCarryInputAndOutputShapes() {
    Event dense = t.steps.get(1).children("optimize").get(0).children("forward").get(0)
        .children("DenseLayer[0]").get(0);
    assertEquals("[[64,784],[64,128]]", dense.arg("input_shapes").toString());
    Event outBackprop = t.steps.get(1).children("optimize").get(0).children("backward").get(0)
        .children("OutputLayer[1].backprop").get(0);
    assertEquals("[[64,128]]", outBackprop.arg("input_shapes").toString(), "no epsilon in; the gradient out");
  }

  /**
   * DL4J's GEMMs per MLP iteration: the dense layer's forward; in backprop the dense layer recomputes its
   * pre-output and computes the weight gradient and the input gradient (3), the output layer the same (3); and
   * the score's forward through the output layer (1): 8.
   */
  @Test
  void eachStepRunsEightGemmsEachWithExactly2MNKFlops() {
    for (Event step : t.steps) {
      List<Event> gemms = new ArrayList<>();
      for (Event e : step.descendants()) {
        if (e.cat().equals("gemm")) {
          gemms.add(e);
        }
      }
      assertEquals(8, gemms.size(), "step " + step.step());
      long sum = 0;
      for (Event g : gemms) {
        assertEquals("matmul", g.name());
        assertEquals("float32", g.arg("dtype").asText());
        assertEquals(3, g.arg("input_shapes").size(), g::toString);
        assertEquals(Dl4jTrace.gemmFlopsFromShapes(g.arg("input_shapes")), g.flops(), g::toString);
        assertTrue(g.flops() > 0);
        sum += g.flops();
      }
      assertEquals(sum, step.flops(), "the step's FLOPs are its GEMMs'");
    }
    Event forwardGemm = t.steps.get(2).children("optimize").get(0).children("forward").get(0)
        .children("DenseLayer[0]").get(0).children("matmul").get(0);
    assertEquals("[[64,784],[784,128],[64,128]]", forwardGemm.arg("input_shapes").toString());
    assertEquals(FORWARD_FLOPS, forwardGemm.flops());
  }

  @Test
  void otherOpsAreRecordedWithNamesAndShapes() {
    Event dense = t.steps.get(1).children("optimize").get(0).children("forward").get(0)
        .children("DenseLayer[0]").get(0);
    List<String> ops = names(dense.children, "op");
    assertTrue(ops.contains("relu") && ops.contains("broadcastadd"), ops::toString);
    Event updater = t.steps.get(1).children("optimize").get(0).children("updater").get(0);
    assertTrue(names(updater.descendants(), "op").contains("sgd_updater"), updater.descendants()::toString);
  }

  /**
   * The iterator measures its own time in next(): the agent's ETL spans (hasNext and next of each step) must recover
   * it within 5%. The breakdown's {@code data} is within 5 % above it, and may be further below: class loading in
   * the first fetch, and a GC or safepoint pause that overlaps a fetch, rank above data there (9-24 ms of the 400 ms
   * under load).
   */
  @Test
  void etlTimeIsRecoveredWithin5Percent() {
    Matcher m = Pattern.compile("iterator next\\(\\) ns (\\d+)").matcher(t.run.stdout);
    assertTrue(m.find(), t.run::toString);
    long measured = Long.parseLong(m.group(1));
    assertTrue(measured >= (long) STEPS * SLEEP_US * 1000, "the iterator slept: " + measured);
    double etlUs = 0;
    for (Event step : t.steps) {
      for (Event etl : step.children("etl")) {
        etlUs += etl.durUs();
      }
    }
    long recovered = Math.round(etlUs * 1000);
    long data = t.summary.get("totals").get("breakdown_ns").get("data").asLong();
    double error = Math.abs(recovered - measured) / (double) measured;
    System.out.printf(Locale.ROOT, "DL4J MLP: ETL spans recovered %d ns of %d ns measured (error %.2f%%); "
        + "breakdown data %d ns%n", recovered, measured, 100 * error, data);
    assertTrue(error < 0.05, "recovered " + recovered + " ns of " + measured + " ns");
    // data is the ETL spans plus each step's input gap (its start to its first phase: the loop's own code around
    // the fetch, a few microseconds, or a descheduled thread's milliseconds on a loaded machine): not more than the
    // sleep the iterator measured, by 5 %, as asked of every data figure.
    assertTrue(data <= measured * 1.05, "data " + data + " ns, the iterator measured " + measured + " ns, ETL spans "
        + recovered + " ns");
    assertTrue(data >= measured / 2, "most of the sleep is data: " + data + " of " + measured + " ns");
  }

  @Test
  void stepChildrenCoverAtLeast95PercentOfTheStepTime() {
    assertTrue(Dl4jTrace.reportCoverage("MLP", t) >= 0.95);
  }

  @Test
  void stepsCarryTheirWorkspaceAndOffHeapMemory() {
    for (com.fasterxml.jackson.databind.JsonNode step : t.summary.get("steps")) {
      com.fasterxml.jackson.databind.JsonNode memory = step.get("memory");
      assertTrue(memory.get("workspace_alloc_bytes").asLong() > 0, step::toString);
      assertTrue(memory.get("workspace_bytes").asLong() > 0, step::toString);
      assertTrue(memory.get("offheap_bytes").asLong() >= memory.get("workspace_bytes").asLong(), step::toString);
      assertTrue(memory.get("heap_allocated_bytes").asLong() > 0, step::toString);
    }
  }

  @Test
  void outputIsARootSpanWithTheLayersInside() {
    List<Event> outputs = t.named("output");
    assertEquals(2, outputs.size(), t.run::toString);
    for (Event o : outputs) {
      assertNotNull(o.json.get("args"));
      assertEquals(0, o.json.get("args").get("parent_id").asLong(), "a root");
      assertFalse(o.json.get("args").has("step"), "outside any step");
      assertEquals(List.of("DenseLayer[0]", "OutputLayer[1]"), sorted(names(o.children, "layer")));
      Event gemm = o.children("DenseLayer[0]").get(0).children("matmul").get(0);
      assertEquals(FORWARD_FLOPS, gemm.flops());
    }
  }

  @Test
  void noHookWasSkipped() {
    assertFalse(t.run.stderr.contains("mltrace: dl4j hook"), t.run::toString);
    assertFalse(t.run.stderr.contains("could not instrument"), t.run::toString);
  }

  static List<String> names(List<Event> events, String cat) {
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      if (e.cat().equals(cat)) {
        out.add(e.name());
      }
    }
    return out;
  }

  static List<String> sorted(List<String> names) {
    List<String> copy = new ArrayList<>(names);
    Collections.sort(copy);
    return copy;
  }
}
