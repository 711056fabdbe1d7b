package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mltrace.agent.Dl4jTrace.Event;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MLP as a {@code ComputationGraph}: the graph's own fit, forward, backward and output are hooked too. */
class Dl4jGraphIT {
  static final int STEPS = 5;

  @TempDir
  static Path out;
  static Dl4jTrace t;

  @BeforeAll
  static void train() throws Exception {
    t = Dl4jTrace.run(out, "--model", "mlp", "--graph", "true", "--steps", String.valueOf(STEPS), "--outputs", "2");
  }

  @Test
  void graphIterationsAreStepsWithTheSamePhasesAndLayers() {
    assertEquals(STEPS, t.steps.size(), t.run::toString);
    for (Event step : t.steps) {
      // The graph's fit(iterator) fits each batch through fit(INDArray[] x4), which wraps the iteration.
      Event optimize = step.children("fit").get(0).children("optimize").get(0);
      Event forward = optimize.children("forward").get(0);
      // Layer indices in a graph are vertex indices: the input vertex is 0.
      assertEquals(1, forward.children("DenseLayer[1]").size(), forward.children::toString);
      assertEquals(1, optimize.children("backward").size());
      assertFalse(step.children("etl").isEmpty(), "the graph's adapter iterator and ours: " + step.children);
      long gemms = step.descendants().stream().filter(e -> e.cat().equals("gemm")).count();
      assertEquals(8, gemms, "as in the MultiLayerNetwork");
    }
  }

  @Test
  void eachStepCarriesTheGraphsIterationCountAsItBegan() {
    // As for the MultiLayerNetwork: the optimize advice reads the Solver's ComputationGraph.
    for (int i = 0; i < t.summary.get("steps").size(); i++) {
      JsonNode step = t.summary.get("steps").get(i);
      assertEquals(i, step.path("iteration").asLong(-1), step::toString);
    }
  }

  @Test
  void graphOutputIsARootSpan() {
    List<Event> outputs = t.named("output");
    assertEquals(2, outputs.size(), t.run::toString);
    for (Event o : outputs) {
      assertEquals(0, o.json.get("args").get("parent_id").asLong());
      assertTrue(o.descendants().stream().anyMatch(e -> e.name().equals("OutputLayer[2]")), o.descendants()::toString);
    }
  }
}
