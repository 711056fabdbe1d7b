package io.mltrace.exporters.testing;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Records real steps through the recorder and the collector: per step a data fetch, a {@code trainBatch} phase
 * holding a {@code dense} layer holding a GEMM, and the optimizer phase that closes the step.
 */
public final class RecordedSteps {
  public static final long GEMM_FLOPS = 2L * 8 * 4 * 16;
  /** Spans per step, the step span included: step, data, trainBatch, dense, matmul, optimizer. */
  public static final int SPANS_PER_STEP = 6;

  public final List<Step> steps = new ArrayList<>();

  /** Runs {@code count} steps on a {@code trainer-thread} and closes the collector; sinks see every step. */
  public static RecordedSteps run(int count, StepSink... sinks) throws InterruptedException {
    RecordedSteps r = new RecordedSteps();
    List<StepSink> all = new ArrayList<>(List.of(sinks));
    all.add(0, r.steps::add);
    Recorder.setEnabled(true);
    Recorder.setSampleEvery(1);
    Collector c = Collector.create(all, 10, 0, 10_000);
    try {
      Thread t = new Thread(() -> {
        for (int i = 0; i < count; i++) {
          oneStep();
        }
      }, "trainer-thread");
      t.start();
      t.join();
      c.close();
    } finally {
      Recorder.setEnabled(false);
    }
    return r;
  }

  private static void oneStep() {
    ThreadRecorder d = Recorder.enterStepPart();
    LockSupport.parkNanos(200_000);
    Recorder.exitSpan(d, Kind.DATA, "data");
    ThreadRecorder p = Recorder.enterStepPart();
    ThreadRecorder layer = Recorder.enterSpan();
    ThreadRecorder g = Recorder.enterOp();
    LockSupport.parkNanos(300_000);
    Recorder.exitGemm(g, "matmul", GemmShapes.MATMUL, new long[] {8, 16}, new long[] {16, 4});
    Recorder.exitSpan(layer, Kind.LAYER, "dense");
    Recorder.exitSpan(p, Kind.PHASE, "trainBatch");
    ThreadRecorder o = Recorder.enterStepPart();
    Recorder.exitStepEnd(o, "optimizer");
  }
}
