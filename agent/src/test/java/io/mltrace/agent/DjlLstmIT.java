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
 * A two-layer LSTM with a linear head, trained with {@code EasyTrain} and the default training listeners: the
 * LSTM's FLOPs against the analytic {@code 8·h·(in+h)} per sample, time step and layer, and the callbacks phase.
 */
class DjlLstmIT {
  static final String LSTM = "io.mltrace.examples.djl.LstmTraining";
  static final int STEPS = 8;
  static final long BATCH = 16;
  static final long SEQ = 12;
  static final long FEATURES = 16;
  static final long HIDDEN = 32;

  @TempDir
  static Path out;
  static ChildJvm run;
  static DjlTrace trace;

  @BeforeAll
  static void train() throws Exception {
    // Page-aligned direct buffers, as in ProductionModeTruthIT (whose comment says why): once in CI this job's loss
    // became NaN in its first 5 steps (DJL's divergence check ended it), the LSTM's sums taking another path through
    // MKL with the batch's buffers placed otherwise.
    run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=summary",
        List.of(ProductionModeTruthIT.PAGE_ALIGNED_DIRECT_MEMORY), LSTM,
        "--steps", String.valueOf(STEPS), "--batch", String.valueOf(BATCH), "--seq", String.valueOf(SEQ),
        "--features", String.valueOf(FEATURES), "--hidden", String.valueOf(HIDDEN), "--layers", "2");
    assertEquals(0, run.exitCode, run::toString);
    trace = new DjlTrace(out);
    assertEquals(STEPS, trace.steps.size(), run::toString);
  }

  /** Analytic forward FLOPs: both LSTM layers, then the linear head on the flattened outputs. */
  static long analyticLstmFlops() {
    long layer0 = 8 * HIDDEN * (FEATURES + HIDDEN);
    long layer1 = 8 * HIDDEN * (HIDDEN + HIDDEN);
    return BATCH * SEQ * (layer0 + layer1);
  }

  @Test
  void lstmFlopsPerStepAreWithinOnePercentOfTheAnalyticCount() {
    long head = 2 * BATCH * 1 * (SEQ * HIDDEN);
    long analyticTotal = analyticLstmFlops() + head;
    for (long s : trace.steps.keySet()) {
      List<Event> lstm = trace.ops(s, "lstm");
      assertEquals(1, lstm.size());
      assertEquals(analyticLstmFlops(), lstm.get(0).flops, 0.01 * analyticLstmFlops(), lstm.get(0)::toString);
      long stepFlops = trace.summary.get("steps").get((int) s - 1).get("flops").asLong();
      assertEquals(analyticTotal, stepFlops, 0.01 * analyticTotal, "step " + s);
      assertArrayEquals(new long[] {BATCH, SEQ, FEATURES}, lstm.get(0).shapes[0], "batch-first input");
      assertArrayEquals(new long[] {4 * HIDDEN, FEATURES}, lstm.get(0).shapes[1], "first weight: 4 gates");
      assertEquals("LSTM", trace.bySpan.get(lstm.get(0).parentId).name);
      assertEquals(List.of("trainBatch", "forward"), trace.phasePath(lstm.get(0)));
    }
  }

  @Test
  void listenerCallbacksAreAPhaseOfEveryStep() {
    for (Event step : trace.steps.values()) {
      Event trainBatch = trace.child(step, "trainBatch");
      assertTrue(trace.children(trainBatch).stream().anyMatch(e -> e.name.equals("listeners")),
          "onTrainingBatch callbacks in step " + step.step);
    }
  }

  @Test
  void opCountsPerStepAreWhatTheModelDoes() {
    Map<String, Long> second = trace.opCounts(2);
    assertEquals(1L, second.get("lstm"));
    assertEquals(1L, second.get("linear"));
    assertEquals(10L, second.get("sgdUpdate"), "4 tensors per LSTM layer, 2 for the head");
    for (long s = 3; s <= STEPS; s++) {
      assertEquals(second, trace.opCounts(s));
    }
  }

  @Test
  void phasesCoverAtLeast95PercentOfTheStep() {
    double coverage = trace.medianCoverageAfterFirstStep();
    System.out.printf("DjlLstmIT: median child coverage of steps 2-%d: %.1f%%%n", STEPS, 100 * coverage);
    assertTrue(coverage >= 0.95, "coverage " + coverage);
  }
}
