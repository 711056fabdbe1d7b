package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.TensorLife;
import io.mltrace.bootstrap.ThreadRecorder;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The agent's whole share of one counted training step on the training thread, shaped like the DJL MLP's (issue 22):
 * a data fetch creating the batch's two arrays, a step-ending span holding {@code ops} ops each creating an array,
 * the arrays closed in the step but the batch's, closed at the start of the next step (as DJL's {@code Batch.close}
 * does), and the step's close and the next step's open with the memory of a DJL job (heap allocation per thread, the
 * live tensor gauges, survivors per holder). The bridge only: no framework, no collector (the ring is drained and
 * discarded every step).
 *
 * <p>Run it with {@code -jvmArgsAppend -XX:TieredStopAtLevel=3} as well: a job's first thousands of steps run the
 * per-step code in C1's profiling tier (tier 3), not in C2, and that is where its cost shows (issue 22's first 3000
 * steps); the default run is the steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CountedStepBenchmark {
  /** {@code on}: a DJL job's default memory (heap allocation, tensor levels and flows); {@code off}: memory=off. */
  @Param({"on", "off"})
  public String memory;

  @Param({"40"})
  public int ops;

  private static final ThreadRecorder.RecordVisitor DISCARD = (source, slots, base, name) -> { };
  private final Object batchManager = new Object();
  private final Object stepManager = new Object();
  private Object[] arrays;
  private Object[] batch = new Object[2];

  @Setup(Level.Trial)
  public void setUp() {
    arrays = new Object[ops];
    TensorLife.reset();
    MemoryGauges.setEnabled(memory.equals("on"));
    if (memory.equals("on")) {
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      MemoryGauges.installThreadAllocation(threads::getCurrentThreadAllocatedBytes);
      TensorLife.labelHoldersWith(h -> h == batchManager ? "batch" : "step");
    }
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(Long.MAX_VALUE));
    WarmThread.closeWarmUpSteps();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    Recorder.setEnabled(false);
    TensorLife.labelHoldersWith(null);
    MemoryGauges.clear();
    MemoryGauges.setEnabled(true);
    TensorLife.reset();
  }

  @Benchmark
  public long countedStep() {
    boolean tensors = memory.equals("on");
    ThreadRecorder data = Recorder.enterStepPart();
    for (int i = 0; i < batch.length; i++) {
      if (tensors && batch[i] != null) {
        closeArray(batch[i]); // the step before's batch, closed after that step ended
      }
      batch[i] = new Object();
      if (tensors) {
        TensorLife.created(batch[i], 64 * 784 * 4, batchManager);
      }
    }
    Recorder.exitSpan(data, Kind.DATA, "data");
    ThreadRecorder step = Recorder.enterStepEnd();
    for (int i = 0; i < ops; i++) {
      ThreadRecorder op = Recorder.enterOp();
      Object out = new Object();
      arrays[i] = out;
      if (tensors) {
        TensorLife.created(out, 64 * 128 * 4, stepManager);
      }
      Recorder.markOpEnd(op);
      Recorder.exitOp(op, i % 4 == 0 ? Kind.OP_GEMM : Kind.OP_OTHER, i % 4 == 0 ? "linear" : "relu", 0, 0, null,
          null, null);
    }
    for (int i = 0; i < ops; i++) {
      if (tensors) {
        closeArray(arrays[i]);
      }
      arrays[i] = null;
    }
    Recorder.exitStepEnd(step, "trainBatch");
    ThreadRecorder tr = Recorder.current();
    return tr == null ? 0 : tr.drain(DISCARD);
  }

  /** What DJL's close hook does: the size its creation read when the step tables know it, else a (here fixed) read. */
  private static void closeArray(Object array) {
    if (!TensorLife.closedWithKnownSize(array)) {
      TensorLife.closed(array, 64 * 128 * 4);
    }
  }
}
