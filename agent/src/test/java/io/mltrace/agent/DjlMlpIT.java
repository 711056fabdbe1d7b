package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.DjlTrace.Event;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLP (784-128-10, batch 64, {@code EasyTrain.trainBatch}) with the agent: step → phase → layer → op nesting,
 * the ops the model does in every step, shapes, types and exact FLOPs, the backward estimate, and how much of the
 * step its phases cover.
 */
class DjlMlpIT {
  static final int STEPS = 8;
  static final long BATCH = 64;

  @TempDir
  static Path out;
  static ChildJvm run;
  static DjlTrace trace;

  @BeforeAll
  static void train() throws Exception {
    run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=summary", List.of(),
        DjlFoundationIT.MLP,
        "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    trace = new DjlTrace(out);
    assertEquals(STEPS, trace.steps.size(), run::toString);
  }

  @Test
  void everyStepHasItsPhasesAsChildren() {
    for (Event step : trace.steps.values()) {
      assertEquals(List.of("data", "trainBatch", "optimizer"), trace.phaseNames(step), "step " + step.step);
      Event trainBatch = trace.child(step, "trainBatch");
      List<String> inside = trace.children(trainBatch).stream().filter(e -> e.cat.equals("phase"))
          .map(e -> e.name).toList();
      assertTrue(inside.containsAll(List.of("forward", "loss", "backward")), inside::toString);
    }
  }

  @Test
  void eachLinearOpNestsInItsLayerInForwardInItsStep() {
    for (long s : trace.steps.keySet()) {
      List<Event> linears = trace.ops(s, "linear");
      assertEquals(2, linears.size(), "two linear layers in step " + s);
      for (Event op : linears) {
        Event layer = trace.bySpan.get(op.parentId);
        assertEquals("layer", layer.cat);
        assertEquals("Linear", layer.name);
        assertEquals(List.of("trainBatch", "forward"), trace.phasePath(op));
        assertEquals("SequentialBlock", trace.bySpan.get(layer.parentId).name, "layers nest as the model does");
      }
    }
  }

  @Test
  void opCountsPerStepAreWhatTheModelDoes() {
    Map<String, Long> second = trace.opCounts(2);
    // Forward: two linear, one ReLU; loss: log-softmax; optimizer: one SGD update and one gradient reset per
    // parameter (two weights, two biases).
    assertEquals(2L, second.get("linear"));
    assertEquals(1L, second.get("relu"));
    assertEquals(1L, second.get("logSoftmax"));
    assertEquals(4L, second.get("sgdUpdate"));
    assertEquals(4L, second.get("zeroGrad"));
    for (long s = 3; s <= STEPS; s++) {
      assertEquals(second, trace.opCounts(s), "every step after the first does the same ops");
    }
  }

  @Test
  void gemmOpsCarryShapesTypeAndExactFlops() {
    for (long s : trace.steps.keySet()) {
      List<Event> linears = trace.ops(s, "linear");
      assertArrayEquals(new long[][] {{BATCH, 784}, {128, 784}}, linears.get(0).shapes);
      assertArrayEquals(new long[][] {{BATCH, 128}, {10, 128}}, linears.get(1).shapes);
      for (Event op : linears) {
        long m = op.shapes[0][0];
        long k = op.shapes[0][1];
        long n = op.shapes[1][0];
        assertEquals(2 * m * n * k, op.flops, op::toString);
        assertEquals("float32", op.dtype);
      }
      Event firstLayer = trace.bySpan.get(linears.get(0).parentId);
      assertArrayEquals(new long[][] {{BATCH, 784}, {BATCH, 128}}, firstLayer.shapes, "layer input and output");
    }
  }

  @Test
  void backwardIsSplitIntoAnEstimatedGemmChild() {
    long forwardFlops = 2 * BATCH * 128 * 784 + 2 * BATCH * 10 * 128;
    for (long s : trace.steps.keySet()) {
      List<Event> estimates = trace.inStep(s).stream().filter(e -> e.estimate).toList();
      assertEquals(1, estimates.size(), "step " + s);
      Event est = estimates.get(0);
      Event backward = trace.bySpan.get(est.parentId);
      assertEquals("backward", backward.name);
      assertEquals("gemm", est.cat);
      assertEquals(2 * forwardFlops, est.flops, "twice the forward GEMM FLOPs");
      assertTrue(est.dur <= backward.dur + 0.001 && est.end() <= backward.end() + 0.001, est::toString);
    }
    for (var step : trace.summary.get("steps")) {
      assertEquals(forwardFlops, step.get("flops").asLong(), "the step's FLOPs stay the measured ones");
    }
  }

  @Test
  void phasesCoverAtLeast95PercentOfTheStep() {
    double coverage = trace.medianCoverageAfterFirstStep();
    System.out.printf("DjlMlpIT: median child coverage of steps 2-%d: %.1f%%%n", STEPS, 100 * coverage);
    assertTrue(coverage >= 0.95, "coverage " + coverage);
  }
}
