package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the DJL advice adds to the recording path: the backward GEMM estimate, layer shapes, op types, FLOPs forms. */
class DjlRecordingTest {
  private final List<Step> steps = new ArrayList<>();
  private Collector collector;

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Recorder.loopStart(); // a step left open by another test on this thread is forgotten
    collector = Collector.create(List.of(steps::add), 10, 0, 10_000);
  }

  @AfterEach
  void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
    Sampling.update(sp -> sp.withSampleEvery(1));
  }

  /** One iteration: a forward GEMM lasting {@code gemmMs}, a backward lasting {@code backwardMs}, the optimizer. */
  private static void iteration(long gemmMs, long backwardMs) throws InterruptedException {
    iteration(gemmMs, 0, backwardMs);
  }

  /**
   * As {@link #iteration(long, long)}, with the backward pass first running a Java-visible op for {@code opMs} when
   * that is over 0 ({@code createOnesNdArray}, as DJL's LSTM seeds its gradient), then waiting {@code restMs}.
   */
  private static void iteration(long gemmMs, long opMs, long restMs) throws InterruptedException {
    ThreadRecorder forward = Recorder.enterStepPart();
    ThreadRecorder gemm = Recorder.enterOp();
    Thread.sleep(gemmMs);
    Recorder.exitOp(gemm, Kind.OP_GEMM, "linear", 1000, 0, new long[] {4, 8}, new long[] {16, 8}, null,
        DataTypes.code("FLOAT32"));
    Recorder.exitSpan(forward, Kind.PHASE, "forward");
    ThreadRecorder backward = Recorder.enterSpan();
    if (opMs > 0) {
      ThreadRecorder ones = Recorder.enterOp();
      Thread.sleep(opMs);
      Recorder.exitOp(ones, Kind.OP_OTHER, "createOnesNdArray");
    }
    Thread.sleep(restMs);
    Recorder.exitBackward(backward, "backward", "backward_gemm");
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
  }

  private static Span named(Step step, String name) {
    return step.spans().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void backwardGetsAnEstimatedGemmChildOfTwiceTheForwardWorkAtItsEnd() throws Exception {
    // A backward pass far longer than twice the forward GEMM, so that the cap (next test) stays out of it even when
    // a loaded machine stretches the 3 ms sleep to 15 ms or more.
    iteration(3, 100);
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    Span linear = named(step, "linear");
    Span backward = named(step, "backward");
    Span estimate = named(step, "backward_gemm");
    assertTrue(estimate.estimated());
    assertFalse(linear.estimated());
    assertEquals(Kind.OP_GEMM, estimate.kind());
    assertEquals(backward.spanId(), estimate.parentId());
    assertEquals(2000, estimate.flops(), "twice the forward FLOPs");
    assertEquals(2 * linear.durationNs(), estimate.durationNs(), "the same work at the forward throughput");
    assertEquals(backward.endNs(), estimate.endNs());
    assertEquals(1000, step.flops(), "the step keeps the measured FLOPs");
    assertEquals(linear.durationNs() + estimate.durationNs(), step.breakdown().ns(Category.GEMM));
  }

  @Test
  void theEstimateNeverOutgrowsTheBackwardSpan() throws Exception {
    iteration(20, 2);
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    Span backward = named(step, "backward");
    Span estimate = named(step, "backward_gemm");
    assertEquals(backward.durationNs(), estimate.durationNs());
    assertEquals(backward.startNs(), estimate.startNs());
  }

  @Test
  void theCappedEstimateLeavesTheBackwardSpansOwnOpsTheirTime() throws Exception {
    iteration(20, 6, 3);
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    Span backward = named(step, "backward");
    Span ones = named(step, "createOnesNdArray");
    Span estimate = named(step, "backward_gemm");
    assertEquals(backward.spanId(), ones.parentId());
    assertEquals(backward.durationNs() - ones.durationNs(), estimate.durationNs(), "the span less its own op");
    assertEquals(backward.endNs(), estimate.endNs());
    // The estimate ends with the span, so it may overlap the op by the moment between the span's start and the op's.
    long other = step.breakdown().ns(Category.OTHER_COMPUTE);
    assertTrue(other >= ones.durationNs() - (ones.startNs() - backward.startNs()), "other_compute " + other
        + " against the op's " + ones.durationNs());
  }

  @Test
  void inACountedStepTheCappedEstimateLeavesTheBackwardSpansOwnOpsTheirTimeToo() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(Long.MAX_VALUE));
    iteration(20, 6, 3);
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    assertFalse(step.detailed());
    long other = step.breakdown().ns(Category.OTHER_COMPUTE);
    long gemm = step.breakdown().ns(Category.GEMM);
    assertTrue(other >= 6_000_000L, "the op's sleep: other_compute " + other);
    assertTrue(gemm >= 20_000_000L + 3_000_000L, "the forward GEMM and what the op left of the backward pass: " + gemm);
  }

  @Test
  void aStepWithoutSamplingCountsTheEstimateAsGemm() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(Long.MAX_VALUE));
    iteration(3, 30);
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    assertFalse(step.detailed());
    long gemm = step.breakdown().ns(Category.GEMM);
    assertTrue(gemm >= 3 * 3_000_000L, "forward GEMM and twice it as estimate: " + gemm);
    assertTrue(gemm < step.wallNs());
  }

  @Test
  void opsCarryTheirTypeAndLayersTheirInputAndOutputShapes() throws Exception {
    ThreadRecorder forward = Recorder.enterStepPart();
    ThreadRecorder layer = Recorder.enterSpan();
    ThreadRecorder gemm = Recorder.enterOp();
    Recorder.exitOp(gemm, Kind.OP_GEMM, "linear", 10, 0, new long[] {2, 3}, new long[] {5, 3}, null,
        DataTypes.code("BFLOAT16"));
    Recorder.exitLayer(layer, "Linear", new long[] {2, 3}, new long[] {2, 5});
    Recorder.exitSpan(forward, Kind.PHASE, "forward");
    Recorder.exitStepEnd(Recorder.enterStepPart(), "optimizer");
    collector.drainOnce();
    Step step = steps.get(steps.size() - 1);
    Span linear = named(step, "linear");
    Span layerSpan = named(step, "Linear");
    assertEquals(DataTypes.BFLOAT16, linear.dtype());
    assertEquals("bfloat16", DataTypes.name(linear.dtype()));
    assertEquals(Kind.LAYER, layerSpan.kind());
    assertEquals(DataTypes.UNKNOWN, layerSpan.dtype());
    assertArrayEquals(new long[][] {{2, 3}, {2, 5}}, layerSpan.inputShapes());
    assertEquals(layerSpan.spanId(), linear.parentId());
  }

  @Test
  void recordsSpansOnlyOutsideStepsOrInSampledOnes() {
    assertFalse(Recorder.recordsSpans(null));
    ThreadRecorder outside = Recorder.enterSpan();
    assertTrue(Recorder.recordsSpans(outside), "inference outside any step is recorded");
    Recorder.exitSpan(outside, Kind.INFERENCE, "predict");
    Sampling.update(sp -> sp.withSampleEvery(Long.MAX_VALUE));
    Recorder.loopStart();
    ThreadRecorder inUnsampled = Recorder.enterStepPart();
    assertFalse(Recorder.recordsSpans(inUnsampled));
    Recorder.exitStepEnd(inUnsampled, "optimizer");
  }

  @Test
  void convolutionAndRecurrentFlopsFollowTheirFormulas() {
    // 2·N·Cout·Hout·Wout·Cin·Kh·Kw/groups: output [32, 8, 26, 26], weight [8, 1, 3, 3]
    assertEquals(2L * 32 * 8 * 26 * 26 * 1 * 3 * 3,
        GemmShapes.convolution(new long[] {32, 8, 26, 26}, new long[] {8, 1, 3, 3}));
    // groups = 4, Cin = 16: weight [8, 4, 3, 3]
    assertEquals(2L * 2 * 8 * 5 * 5 * 16 * 3 * 3 / 4,
        GemmShapes.convolution(new long[] {2, 8, 5, 5}, new long[] {8, 4, 3, 3}));
    assertEquals(0, GemmShapes.convolution(new long[] {2, 8}, new long[] {8, 4, 3, 3}));
    // One LSTM layer: 8·h·(in+h) per sample and time step.
    long h = 32;
    long in = 16;
    long perStep = 2 * (4 * h) * in + 2 * (4 * h) * h;
    assertEquals(8 * h * (in + h), perStep);
    assertEquals(16 * 12 * perStep, GemmShapes.recurrent(GemmShapes.leadingProduct(new long[] {16, 12, in}), perStep));
  }

  @Test
  void djlTypeNamesRoundTripAndUnlistedOnesAreUnknown() {
    assertEquals("float32", DataTypes.name(DataTypes.code("FLOAT32")));
    assertEquals("int64", DataTypes.name(DataTypes.code("INT64")));
    assertEquals("bool", DataTypes.name(DataTypes.code("BOOLEAN")));
    assertEquals("complex64", DataTypes.name(DataTypes.code("COMPLEX64")));
    assertEquals(DataTypes.UNKNOWN, DataTypes.code("COMPLEX128"));
    assertEquals(DataTypes.UNKNOWN, DataTypes.code(null));
    assertNull(DataTypes.name(DataTypes.UNKNOWN));
  }
}
