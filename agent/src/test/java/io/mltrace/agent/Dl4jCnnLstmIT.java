package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.Dl4jTrace.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small DL4J CNN (conv 3×3×4 on 12×12×1, max-pool 2×2, softmax over 10; batch 64) and an LSTM (8 inputs, 16
 * units, 10 time steps, softmax over 4 per time step; batch 16), each trained in a child JVM with the agent.
 */
class Dl4jCnnLstmIT {
  static final int STEPS = 6;
  // Sizes of the examples' models (io.mltrace.examples.dl4j.Dl4jModels).
  static final long CNN_BATCH = 64;
  static final long CONV_OUT = 12 - 3 + 1;
  static final long LSTM_BATCH = 16;
  static final long LSTM_IN = 8;
  static final long LSTM_HIDDEN = 16;
  static final long LSTM_STEPS = 10;

  @TempDir
  static Path cnnOut;
  @TempDir
  static Path lstmOut;
  static Dl4jTrace cnn;
  static Dl4jTrace lstm;

  @BeforeAll
  static void train() throws Exception {
    cnn = Dl4jTrace.run(cnnOut, "--model", "cnn", "--steps", String.valueOf(STEPS));
    lstm = Dl4jTrace.run(lstmOut, "--model", "lstm", "--steps", String.valueOf(STEPS));
  }

  /** DL4J lowers the convolution to im2col and one GEMM: its FLOPs are the convolution's analytic count. */
  @Test
  void convolutionIsIm2colAndAGemmOfTheAnalyticConvolutionFlops() {
    long analytic = 2 * CNN_BATCH * 4 * CONV_OUT * CONV_OUT * 1 * 3 * 3;
    assertEquals(STEPS, cnn.steps.size(), cnn.run::toString);
    for (Event step : cnn.steps) {
      Event conv = step.children("optimize").get(0).children("forward").get(0).children("ConvolutionLayer[0]").get(0);
      assertEquals("[[64,1,12,12],[64,4,10,10]]", conv.arg("input_shapes").toString());
      List<String> ops = Dl4jMlpIT.names(conv.children, "op");
      assertTrue(ops.contains("im2col"), ops::toString);
      List<Event> gemms = conv.children("matmul");
      assertEquals(1, gemms.size());
      assertEquals(analytic, gemms.get(0).flops());
      assertEquals(Dl4jTrace.gemmFlopsFromShapes(gemms.get(0).arg("input_shapes")), gemms.get(0).flops());
      Event pool = step.children("optimize").get(0).children("forward").get(0).children("SubsamplingLayer[1]").get(0);
      assertEquals(List.of("maxpool2d"), Dl4jMlpIT.names(pool.children, "op"));
      Event poolBack = step.children("optimize").get(0).children("backward").get(0)
          .children("SubsamplingLayer[1].backprop").get(0);
      assertEquals(List.of("maxpool2d_bp"), Dl4jMlpIT.names(poolBack.children, "op"));
    }
    for (Event g : cnn.events) {
      if (g.cat().equals("gemm")) {
        assertEquals(Dl4jTrace.gemmFlopsFromShapes(g.arg("input_shapes")), g.flops(), g::toString);
      }
    }
  }

  /**
   * The LSTM layer's forward runs two GEMMs per time step (input and recurrent weights, the four gates at once):
   * {@code F = 8·h·(in+h)} FLOPs per sample and time step. DL4J's backprop recomputes the forward pass (F) and
   * computes the gradients of both products (2F), except at the first time step, where the previous output and
   * cell state are zero: no recurrent-weight gradient and no gradient to the previous output
   * ({@code 2·2·B·h·4h}), and the forget gate's gradient is zero, so the input-side products cover three gates
   * ({@code 2·2·B·in·h} less). Per iteration: {@code 4F·B·T − 4·B·h·4h − 4·B·in·h}.
   */
  @Test
  void lstmFlopsPerStepAreWithin1PercentOfTheAnalyticCount() {
    long forward = 8 * LSTM_HIDDEN * (LSTM_IN + LSTM_HIDDEN) * LSTM_BATCH * LSTM_STEPS;
    assertEquals(STEPS, lstm.steps.size(), lstm.run::toString);
    List<Double> errors = new ArrayList<>();
    for (Event step : lstm.steps) {
      Event optimize = step.children("optimize").get(0);
      Event layer = optimize.children("forward").get(0).children("LSTM[0]").get(0);
      Event backprop = optimize.children("backward").get(0).children("LSTM[0].backprop").get(0);
      long measuredForward = gemmFlops(layer);
      long measuredTotal = measuredForward + gemmFlops(backprop);
      assertEquals(2 * LSTM_STEPS, layer.children("matmul").size(), "two GEMMs per time step");
      double forwardError = Math.abs(measuredForward - forward) / (double) forward;
      long total = 4 * forward - 4 * LSTM_BATCH * LSTM_HIDDEN * 4 * LSTM_HIDDEN
          - 4 * LSTM_BATCH * LSTM_IN * LSTM_HIDDEN;
      double totalError = Math.abs(measuredTotal - total) / (double) total;
      errors.add(Math.max(forwardError, totalError));
      assertTrue(forwardError < 0.01, "forward " + measuredForward + " vs " + forward);
      assertTrue(totalError < 0.01, "forward+backward " + measuredTotal + " vs " + total);
    }
    System.out.printf(Locale.ROOT, "DL4J LSTM: largest relative FLOP error per step %.5f%n",
        errors.stream().mapToDouble(Double::doubleValue).max().orElse(-1));
  }

  @Test
  void stepChildrenCoverAtLeast95PercentOfTheStepTime() {
    assertTrue(Dl4jTrace.reportCoverage("CNN", cnn) >= 0.95);
    assertTrue(Dl4jTrace.reportCoverage("LSTM", lstm) >= 0.95);
  }

  @Test
  void everyGemmOfBothModelsHasExactly2MNKFlops() {
    int gemms = 0;
    for (Event g : lstm.events) {
      if (g.cat().equals("gemm")) {
        gemms++;
        assertEquals(Dl4jTrace.gemmFlopsFromShapes(g.arg("input_shapes")), g.flops(), g::toString);
      }
    }
    assertTrue(gemms >= STEPS * 63, "LSTM GEMMs: " + gemms);
  }

  private static long gemmFlops(Event span) {
    long sum = 0;
    for (Event e : span.descendants()) {
      if (e.cat().equals("gemm")) {
        sum += e.flops();
      }
    }
    return sum;
  }
}
