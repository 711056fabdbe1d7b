package io.mltrace.agent;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.gpu.FakeCupti;

/**
 * A child-JVM main for {@link GpuIdleIT}: a training loop whose GPU work is launched asynchronously through the
 * fake libcupti, with scripted host gaps that leave the GPU waiting. Each step: a slow data fetch
 * ({@link #DATA_NS}); a {@code matmul} op that launches a short kernel and then prepares for {@link #PREPARE_NS};
 * in step {@link #GC_STEP} a {@code System.gc()}; a {@code toDevice} op whose copy launch takes
 * {@link #SLOW_LAUNCH_NS} (a slow launch); and a {@code synchronize} op that waits for the copy. Argument: the
 * number of steps.
 */
public final class FakeGpuHostGaps {
  static final String KERNEL = "volta_sgemm_128x64_nn";
  static final long DATA_NS = 3_000_000;
  static final long KERNEL_API_NS = 5_000;
  static final long KERNEL_DELAY_NS = 20_000;
  static final long KERNEL_NS = 30_000;
  static final long PREPARE_NS = 200_000;
  static final long SLOW_LAUNCH_NS = 2_000_000;
  static final long COPY_DELAY_NS = 2_100_000;
  static final long COPY_NS = 50_000;
  static final long COPY_BYTES = 1 << 20;
  static final int GC_STEP = 3;

  private FakeGpuHostGaps() {}

  public static void main(String[] args) {
    int steps = Integer.parseInt(args[0]);
    Recorder.loopStart();
    for (int i = 1; i <= steps; i++) {
      ThreadRecorder data = Recorder.enterStepPart();
      spin(DATA_NS);
      Recorder.exitSpan(data, Kind.DATA, "next");
      ThreadRecorder phase = Recorder.enterStepPart();
      ThreadRecorder matmul = Recorder.enterOp();
      FakeCupti.launchKernelAfter(KERNEL, KERNEL_API_NS, KERNEL_DELAY_NS, KERNEL_NS);
      spin(PREPARE_NS);
      Recorder.exitGemm(matmul, "matmul", GemmShapes.MATMUL, new long[] {64, 64}, new long[] {64, 64});
      if (i == GC_STEP) {
        io.mltrace.examples.groundtruth.ForcedGc.collect();
      }
      ThreadRecorder copy = Recorder.enterOp();
      FakeCupti.copyAfter(1, COPY_BYTES, SLOW_LAUNCH_NS, COPY_DELAY_NS, COPY_NS);
      Recorder.exitOp(copy, Kind.OP_COPY, "toDevice", 0, COPY_BYTES, null, null, null);
      ThreadRecorder sync = Recorder.enterOp();
      spin(COPY_DELAY_NS - SLOW_LAUNCH_NS + COPY_NS + 50_000); // until the copy has run
      Recorder.exitOp(sync, Kind.OP_OTHER, "synchronize", 0, 0, null, null, null);
      Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
      ThreadRecorder optimizer = Recorder.enterStepPart();
      Recorder.exitStepEnd(optimizer, "optimizer");
    }
    Recorder.loopEnd();
    System.out.println("fake gpu host gaps: " + steps + " steps");
  }

  private static void spin(long ns) {
    long end = System.nanoTime() + ns;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }
}
