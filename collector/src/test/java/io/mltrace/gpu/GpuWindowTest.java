package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.GpuCorrelation;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.GpuTimeline;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Windows of whole steps, and GPU records reaching their steps through the collector. */
class GpuWindowTest extends FakeGpuStepsTest {
  private final GpuReport report = new GpuReport(System.out);

  @Override
  List<StepSink> moreSinks() {
    return List.of(report);
  }

  /** One iteration: a GEMM op launching one kernel, a copy op launching one H2D copy, the optimizer step. */
  private static void iteration() {
    ThreadRecorder phase = Recorder.enterStepPart();
    ThreadRecorder gemm = Recorder.enterOp();
    FakeCupti.launchKernel("volta_sgemm_128x64_nn", 20_000);
    Recorder.exitOp(gemm, Kind.OP_GEMM, "matmul", 0, 0, null, null, null);
    ThreadRecorder copy = Recorder.enterOp();
    FakeCupti.copy(1, 4096, 5_000);
    Recorder.exitOp(copy, Kind.OP_COPY, "toDevice", 0, 4096, null, null, null);
    Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
  }

  @Test
  void sampledStepsCarryTheirGpuRecordsAndTheOthersNone() {
    Sampling.update(sp -> sp.withSampleEvery(2));
    FakeCupti.configure(-1, false, false, false);
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    long first = Recorder.stepsClosed() + 1;
    gpu.followSampledSteps();
    for (int i = 0; i < 8; i++) {
      iteration();
    }
    gpu.finish();
    collector.close();

    assertEquals(8, steps.size());
    for (Step s : steps) {
      List<ExternalActivity> gpuRecords = s.external().stream()
          .filter(a -> a.origin() == ExternalActivity.Origin.GPU).toList();
      if (Sampling.isSampled(s.number())) {
        assertEquals(2, gpuRecords.size(), () -> "step " + s.number() + ": " + s.external());
        for (ExternalActivity a : gpuRecords) {
          Span launcher = s.spans().stream().filter(sp -> sp.spanId() == a.correlatedSpanId()).findFirst()
              .orElseThrow(() -> new AssertionError("no launching span in step for " + a));
          assertTrue(launcher.startNs() <= a.startNs() && a.endNs() <= launcher.endNs());
        }
        GpuTimeline t = s.gpu().timeline(); // computed once by the collector
        assertTrue(t.deviceNs(GpuTimeline.DeviceUse.GEMM_KERNELS) >= 20_000, t::toString);
        assertTrue(t.deviceNs(GpuTimeline.DeviceUse.COPY_H2D) >= 5_000, t::toString);
      } else {
        assertTrue(gpuRecords.isEmpty(), () -> "unsampled step " + s.number() + ": " + gpuRecords);
      }
    }
    GpuStats stats = gpu.stats();
    // One enable before each sampled step, the one after the last step included.
    long windows = java.util.stream.LongStream.rangeClosed(first, first + 8).filter(Sampling::isSampled).count();
    assertEquals(windows, stats.enables(), stats::toString);
    assertTrue(stats.disables() >= 3, stats::toString);
    assertEquals(0, stats.unresolved(), stats::toString);
    assertTrue(log.isEmpty(), log::toString);
    long sampled = steps.stream().filter(s -> Sampling.isSampled(s.number())).count();
    String line = report.line();
    assertTrue(line.startsWith("mltrace gpu: " + sampled + " steps with " + (2 * sampled) + " GPU records; kernels "),
        line);
    assertTrue(line.matches(".*\\(gemm [0-9.]*[1-9][0-9.]* ms, other 0\\.000 ms\\); copies h2d [0-9.]*[1-9][0-9.]* ms.*"),
        line);
  }

  @Test
  void anOnDemandWindowCoversExactlyTheRequestedSteps() {
    Sampling.update(sp -> sp.withSampleEvery(1));
    FakeCupti.configure(-1, false, false, false);
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    iteration(); // no window yet
    gpu.requestSteps(3);
    iteration(); // requested during this step: the window opens at its end
    assertTrue(GpuCorrelation.isActive());
    for (int i = 0; i < 5; i++) {
      iteration();
    }
    assertFalse(GpuCorrelation.isActive());
    gpu.finish();
    collector.close();
    int[] perStep = steps.stream().mapToInt(s -> (int) s.external().stream()
        .filter(a -> a.origin() == ExternalActivity.Origin.GPU).count()).toArray();
    assertEquals(List.of(0, 0, 2, 2, 2, 0, 0), java.util.Arrays.stream(perStep).boxed().toList());
    assertEquals(1, gpu.stats().enables());
    assertEquals(1, gpu.stats().disables());
  }

  @Test
  void withoutTheTimestampCallbackTheOffsetPutsRecordsInsideTheirSpans() {
    Sampling.update(sp -> sp.withSampleEvery(1));
    FakeCupti.configure(-1, false, true, false);
    startTracing(FakeCupti.options().flushIntervalMillis(10));
    gpu.followSampledSteps();
    for (int i = 0; i < 20; i++) {
      iteration();
    }
    gpu.finish();
    collector.close();
    assertFalse(gpu.stats().monotonicTimestamps());
    int checked = 0;
    for (Step s : steps) {
      for (ExternalActivity a : s.external()) {
        Span launcher = s.spans().stream().filter(sp -> sp.spanId() == a.correlatedSpanId()).findFirst()
            .orElseThrow();
        // CLOCK_REALTIME converted with an offset measured around one call: allow 5 us of error either side.
        assertTrue(launcher.startNs() - 5_000 <= a.startNs() && a.endNs() <= launcher.endNs() + 5_000,
            () -> a + " vs " + launcher);
        checked++;
      }
    }
    assertEquals(40, checked);
  }
}
