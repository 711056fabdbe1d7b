package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mltrace.bootstrap.GpuCorrelation;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every way GPU tracing can be unavailable gives one line and leaves the host trace intact. */
class GpuUnavailableTest {
  private final List<String> log = new ArrayList<>();

  @Test
  void missingLibcuptiGivesOneLineAndTheTraceGoesOn() {
    GpuTracing gpu = GpuTracing.start(FakeCupti.options().cuptiPath("/nonexistent/libcupti.so.13"), log::add);
    assertFalse(gpu.available());
    assertNull(gpu.source());
    assertOneLine("GPU tracing unavailable: cannot load /nonexistent/libcupti.so.13");
    assertHostTraceIntact(gpu);
  }

  @Test
  void anEnableThatFailsGivesOneLineAndNoCuptiCallAfter() {
    FakeCupti.configure(FakeCupti.KIND_CONCURRENT_KERNEL, false, false, false);
    GpuTracing gpu = GpuTracing.start(FakeCupti.options(), log::add);
    assertTrue(gpu.available());
    assertFalse(gpu.enable());
    assertFalse(gpu.available());
    assertFalse(GpuCorrelation.isActive());
    assertOneLine("GPU tracing unavailable: cuptiActivityEnable(kind 10) failed "
        + "(CUPTI_ERROR_INSUFFICIENT_PRIVILEGES)");
    assertFalse(gpu.enable(), "no second try");
    assertEquals(1, log.size());
    assertHostTraceIntact(gpu);
    gpu.close();
  }

  @Test
  void anotherCuptiSubscriberMakesUsBackOff() {
    FakeCupti.configure(-1, true, false, false);
    GpuTracing gpu = GpuTracing.start(FakeCupti.options(), log::add);
    assertFalse(gpu.available());
    assertOneLine("GPU tracing unavailable: another CUPTI subscriber is active");
    assertHostTraceIntact(gpu);
  }

  @Test
  void theRealLibcuptiWithoutADriverIsUnavailable() {
    String real = System.getProperty("mltrace.test.realCupti");
    assumeTrue(real != null && Files.isRegularFile(Paths.get(real)), "the CUPTI wheel was not fetched (.ci/setup)");
    assumeTrue(!Files.exists(Paths.get("/proc/driver/nvidia/version")), "this machine has an NVIDIA driver");
    GpuTracing gpu = GpuTracing.start(FakeCupti.options().cuptiPath(real), log::add);
    assertFalse(gpu.available());
    assertOneLine("GPU tracing unavailable: CUPTI cannot start (CUPTI_ERROR_");
    assertTrue(log.get(0).contains("no CUDA driver"), log.get(0));
    assertHostTraceIntact(gpu);
  }

  private void assertOneLine(String prefix) {
    assertEquals(1, log.size(), log::toString);
    assertTrue(log.get(0).startsWith(prefix), log.get(0));
  }

  /** A recorded step still reaches the sinks with its spans, and the correlation gate stays shut. */
  private static void assertHostTraceIntact(GpuTracing gpu) {
    gpu.requestSteps(2);
    gpu.followSampledSteps();
    assertFalse(GpuCorrelation.isActive());
    List<Step> steps = new ArrayList<>();
    Collector collector = Collector.create(List.of(new StepSink() {
      @Override
      public void onStep(Step step) {
        steps.add(step);
      }
    }), 10, 0, 10_000);
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Recorder.loopStart();
    try {
      ThreadRecorder phase = Recorder.enterStepPart();
      ThreadRecorder op = Recorder.enterOp();
      Recorder.exitOp(op, Kind.OP_OTHER, "relu");
      Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
      ThreadRecorder opt = Recorder.enterStepPart();
      Recorder.exitStepEnd(opt, "optimizer");
      Recorder.loopStart();
    } finally {
      collector.close();
      Recorder.setEnabled(false);
    }
    assertEquals(1, steps.size());
    assertEquals(3, steps.get(0).spans().size());
    assertTrue(steps.get(0).external().isEmpty());
  }
}
