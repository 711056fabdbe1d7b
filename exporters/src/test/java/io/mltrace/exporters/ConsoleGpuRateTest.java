package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.GpuTimeline;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The console's GEMM rate where GEMMs run on a GPU: the host's GEMM ops only launch the kernels, so the rate is the
 * traced steps' FLOPs over their GEMM kernels' time (real recorded steps, a 200 µs sgemm kernel each).
 */
class ConsoleGpuRateTest {
  @Test
  void tracedStepsGiveTheRateOfTheirGemmKernels() throws Exception {
    ConsoleReporter console = new ConsoleReporter(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), false);
    RecordedSteps recorded = RecordedSteps.runWithActivities(3, console);
    long flops = 0;
    for (Step s : recorded.steps) {
      assertEquals(RecordedSteps.KERNEL_NS, s.gpu().timeline().deviceNs(GpuTimeline.DeviceUse.GEMM_KERNELS));
      flops += s.flops();
    }
    assertTrue(flops > 0);
    String summary = console.summary();
    String expected = String.format(Locale.ROOT, "on the GPU: %.3g GFLOP/s in GEMM kernels (3 traced steps: %.3g FLOPs"
        + " in 0.600 ms of GEMM kernels)", flops / (3.0 * RecordedSteps.KERNEL_NS), (double) flops);
    assertTrue(summary.contains(expected), summary);
  }

  @Test
  void withoutGpuRecordsThereIsNoGpuRate() throws Exception {
    ConsoleReporter console = new ConsoleReporter(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), false);
    RecordedSteps.run(3, console);
    assertFalse(console.summary().contains("on the GPU"), console.summary());
  }
}
