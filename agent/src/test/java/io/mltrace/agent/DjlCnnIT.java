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
 * The small CNN (conv 3×3 ×8 + ReLU + max pool + linear) in a hand-written loop: phases straight under the step,
 * the convolution's FLOPs, the {@code uint8 → float32} conversion as a copy with bytes.
 */
class DjlCnnIT {
  static final String CNN = "io.mltrace.examples.djl.CnnTraining";
  /** Enough steps that the median coverage is of warm steps: over steps 2-8 alone it read 94.9-97.9 % under CI load. */
  static final int STEPS = 20;
  static final long BATCH = 32;
  static final long FILTERS = 8;
  static final long SIZE = 28;

  @TempDir
  static Path out;
  static ChildJvm run;
  static DjlTrace trace;

  @BeforeAll
  static void train() throws Exception {
    run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=summary", List.of(), CNN,
        "--steps", String.valueOf(STEPS), "--batch", String.valueOf(BATCH), "--filters", String.valueOf(FILTERS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("final loss"), run::toString);
    trace = new DjlTrace(out);
    assertEquals(STEPS, trace.steps.size(), run::toString);
  }

  @Test
  void aHandWrittenLoopHasEachPhaseAsAChildOfTheStep() {
    for (Event step : trace.steps.values()) {
      assertEquals(List.of("data", "forward", "loss", "backward", "optimizer"), trace.phaseNames(step),
          "step " + step.step);
    }
  }

  @Test
  void convolutionNestsInItsLayerWithShapesAndExactFlops() {
    long out = SIZE - 2;
    for (long s : trace.steps.keySet()) {
      List<Event> convs = trace.ops(s, "convolution");
      assertEquals(1, convs.size());
      Event conv = convs.get(0);
      assertEquals("Conv2d", trace.bySpan.get(conv.parentId).name);
      assertEquals(List.of("forward"), trace.phasePath(conv));
      assertArrayEquals(new long[][] {{BATCH, 1, SIZE, SIZE}, {FILTERS, 1, 3, 3}}, conv.shapes);
      // 2·N·Cout·Hout·Wout·Cin·Kh·Kw/groups
      assertEquals(2 * BATCH * FILTERS * out * out * 1 * 3 * 3, conv.flops);
      assertEquals("float32", conv.dtype);
      Event linear = trace.ops(s, "linear").get(0);
      long features = FILTERS * (out / 2) * (out / 2);
      assertArrayEquals(new long[][] {{BATCH, features}, {10, features}}, linear.shapes);
      assertEquals(2 * BATCH * 10 * features, linear.flops);
      assertEquals(conv.flops + linear.flops, trace.summary.get("steps").get((int) s - 1).get("flops").asLong());
    }
  }

  @Test
  void opCountsPerStepAreWhatTheModelDoes() {
    Map<String, Long> second = trace.opCounts(2);
    assertEquals(1L, second.get("convolution"));
    assertEquals(1L, second.get("relu"));
    assertEquals(1L, second.get("maxPool"));
    assertEquals(1L, second.get("linear"));
    assertEquals(4L, second.get("sgdUpdate"), "conv weight and bias, linear weight and bias");
    for (long s = 3; s <= STEPS; s++) {
      assertEquals(second, trace.opCounts(s));
    }
  }

  @Test
  void theTypeConversionIsACopyWithItsBytes() {
    for (long s : trace.steps.keySet()) {
      List<Event> copies = trace.children(trace.steps.get(s)).stream()
          .filter(e -> e.cat.equals("copy") && e.name.equals("to")).toList();
      assertEquals(1, copies.size(), "one toType per step, in the loop itself");
      Event copy = copies.get(0);
      assertEquals(BATCH * SIZE * SIZE * 4, copy.bytes, "float32 bytes of the converted batch");
      assertEquals("uint8", copy.dtype, "the source's type");
    }
    // A collection that pauses the thread inside the conversion takes that time as gc (the conversion allocates:
    // in one CI run a 9 ms young GC inside step 5 left its copy 0 ns of memcpy), so the steps without one must show it.
    int withoutGc = 0;
    for (var step : trace.summary.get("steps")) {
      if (step.get("breakdown_ns").get("gc").asLong() == 0) {
        withoutGc++;
        assertTrue(step.get("breakdown_ns").get("memcpy").asLong() > 0, step::toString);
      }
    }
    assertTrue(withoutGc >= trace.summary.get("steps").size() / 2, "most steps have no collection");
  }

  /**
   * At least 93 %: in no phase are the hand-written loop's code between phases and the step's own bookkeeping (its
   * op time, tensor snapshot and memory record), which ends inside the step after its last phase, so that it does
   * not open the next step's input gap as data. Measured 94.9-97.9 % over steps 2-8 (94.9 once in CI; the bound was
   * 95 %) and 95.2-96.6 % over steps 2-20 here: the margin was too thin for a loaded machine.
   */
  @Test
  void phasesCoverAtLeast93PercentOfTheStep() {
    double coverage = trace.medianCoverageAfterFirstStep();
    System.out.printf("DjlCnnIT: median child coverage of steps 2-%d: %.1f%%%n", STEPS, 100 * coverage);
    assertTrue(coverage >= 0.93, "coverage " + coverage);
  }
}
