package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.DjlTrace.Event;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code djl_profile_every}: PyTorch's profiler runs during chosen sampled steps only, and its backward GEMMs
 * replace the estimate there as measured spans under the backward span.
 */
class DjlEngineProfileIT {
  static final int STEPS = 7;

  @TempDir
  static Path out;
  static ChildJvm run;
  static DjlTrace trace;

  @BeforeAll
  static void train() throws Exception {
    // Sampled: steps 2, 4, 6. Profiled: sampled and a multiple of 3, so step 6 only.
    run = ChildJvm.run("output=" + out + ",report_interval=0,console=off,sample_every=2,djl_profile_every=3",
        List.of(), DjlFoundationIT.MLP, "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("final loss"), run::toString);
    trace = new DjlTrace(out);
  }

  private static List<Event> backwardChildren(long step) {
    Event backward = trace.inStep(step).stream().filter(e -> e.name.equals("backward")).findFirst().orElseThrow();
    return trace.children(backward);
  }

  @Test
  void theProfiledStepHasMeasuredBackwardGemmsAndNoEstimate() {
    List<Event> kids = backwardChildren(6);
    List<Event> gemms = kids.stream().filter(e -> e.cat.equals("gemm")).toList();
    // The MLP's backward: two matrix products for the second layer (input and weight gradients), one for the
    // first (its input needs no gradient).
    assertEquals(3, gemms.size(), kids::toString);
    for (Event g : gemms) {
      assertEquals("aten::mm", g.name);
      assertFalse(g.estimate, "measured by the engine");
      assertTrue(g.dur > 0);
    }
    assertTrue(kids.stream().anyMatch(e -> e.name.equals("AddmmBackward0")), kids::toString);
    assertTrue(trace.children(trace.steps.get(6L)).stream().anyMatch(e -> e.name.equals("engine_profiler")),
        "the profiler's own cost is a phase of the step");
  }

  @Test
  void sampledStepsThatAreNotProfiledKeepTheEstimate() {
    assertEquals(List.of(2L, 4L, 6L), List.copyOf(trace.steps.keySet()), "only sampled steps are detailed");
    for (long s : List.of(2L, 4L)) {
      List<Event> kids = backwardChildren(s);
      assertTrue(kids.stream().anyMatch(e -> e.estimate && e.name.equals("backward_gemm")), kids::toString);
      assertFalse(kids.stream().anyMatch(e -> e.name.startsWith("aten::")), kids::toString);
    }
  }
}
