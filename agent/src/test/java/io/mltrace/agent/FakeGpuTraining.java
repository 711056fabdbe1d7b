package io.mltrace.agent;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.gpu.FakeCupti;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * A child-JVM main for {@link GpuExportIT}: a training loop whose GEMM op launches a host-to-device copy and a
 * kernel through the fake libcupti, recorded through the recorder the agent put on the bootstrap class path (what
 * the framework hooks call). Arguments: the number of steps; optionally a step count K and a file F: after K steps
 * it prints {@code paused after K steps} and waits (at most 120 s) until F exists, so a test can act on a job that
 * is mid-way.
 *
 * <p>With {@code -Dmltrace.test.gpuLeakBytes=N} ({@link GpuMemoryIT}) the GEMM op also allocates N device bytes that
 * are never freed and a {@link #SCRATCH_BYTES} scratch buffer that the optimizer frees: one device leak per step.
 */
public final class FakeGpuTraining {
  static final String KERNEL = "volta_sgemm_128x64_nn";
  static final long KERNEL_NS = 300_000;
  static final long COPY_NS = 50_000;
  static final long COPY_BYTES = 65_536;
  static final long SCRATCH_BYTES = 4096;
  static final long LEAK_BYTES = Long.getLong("mltrace.test.gpuLeakBytes", 0);

  private FakeGpuTraining() {}

  public static void main(String[] args) throws Exception {
    int steps = Integer.parseInt(args[0]);
    int pauseAfter = args.length > 2 ? Integer.parseInt(args[1]) : -1;
    Recorder.loopStart();
    for (int i = 0; i < steps; i++) {
      if (i == pauseAfter) {
        System.out.println("paused after " + i + " steps");
        System.out.flush();
        waitFor(Paths.get(args[2]));
      }
      ThreadRecorder phase = Recorder.enterStepPart();
      ThreadRecorder op = Recorder.enterOp();
      FakeCupti.copy(FakeCupti.COPY_H2D, COPY_BYTES, COPY_NS);
      FakeCupti.launchKernel(KERNEL, KERNEL_NS);
      if (LEAK_BYTES > 0) {
        FakeCupti.allocate(0x7f00_0000_0000L + i * LEAK_BYTES, LEAK_BYTES);
        FakeCupti.allocate(0x7e00_0000_0000L + i * SCRATCH_BYTES, SCRATCH_BYTES);
      }
      Recorder.exitGemm(op, "matmul", GemmShapes.MATMUL, new long[] {64, 64}, new long[] {64, 64});
      Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
      ThreadRecorder optimizer = Recorder.enterStepPart();
      if (LEAK_BYTES > 0) {
        FakeCupti.free(0x7e00_0000_0000L + i * SCRATCH_BYTES, SCRATCH_BYTES);
      }
      Recorder.exitStepEnd(optimizer, "optimizer");
    }
    Recorder.loopEnd();
    System.out.println("fake gpu training: " + steps + " steps");
  }

  private static void waitFor(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }
}
