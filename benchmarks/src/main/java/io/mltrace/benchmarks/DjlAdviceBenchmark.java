package io.mltrace.benchmarks;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.ThreadRegistry;
import io.mltrace.collector.Collector;
import java.util.List;
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
 * The DJL advice path of one op, call for call as the inlined advice runs it (see {@code GemmAdvice},
 * {@code OpAdvice}, {@code LayerAdvice} in the agent), in three modes: recording off, counting only (the step is
 * not sampled) and recording the full span. Shapes come from DJL {@link Shape} objects as a PyTorch array returns
 * them once its shape is cached on the Java side; the first read of a fresh array's shape is a native call, not
 * part of this benchmark (docs/benchmarks.md gives its cost). A collector thread drains the ring meanwhile.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DjlAdviceBenchmark {
  @Param({"off", "counting", "recording"})
  public String mode;

  private final Shape input = new Shape(64, 784);
  private final Shape weight = new Shape(128, 784);
  private final DataType type = DataType.FLOAT32;
  private Collector collector;

  @Setup(Level.Trial)
  public void setUp() {
    ThreadRegistry.setRingCapacity(1 << 16);
    Recorder.setEnabled(!mode.equals("off"));
    Sampling.update(sp -> sp.withSampleEvery(mode.equals("recording") ? 1 : Long.MAX_VALUE));
    collector = Collector.create(List.of(step -> { }), 1, 0, 100_000);
    collector.start();
    // Open a step so that ops are counted (and, when sampled, recorded) as inside it.
    WarmThread.closeWarmUpSteps();
    ThreadRecorder tr = Recorder.enterStepPart();
    Recorder.exitSpan(tr, Kind.DATA, "data");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  /** {@code GemmAdvice}: shapes always (for the FLOPs counter), the type only when recording. */
  @Benchmark
  public void linearOp() {
    ThreadRecorder tr = Recorder.enterOp();
    if (tr == null) {
      return;
    }
    long[] a = input.getShape();
    long[] b = weight.getShape();
    int dtype = Recorder.recordsSpans(tr) ? DataTypes.code(type.name()) : 0;
    Recorder.markOpEnd(tr);
    Recorder.exitOp(tr, Kind.OP_GEMM, "linear", GemmShapes.flops(GemmShapes.LINEAR, a, b), 0, a, b, null, dtype);
  }

  /** {@code OpAdvice}: the input's shape only when recording. */
  @Benchmark
  public void otherOp() {
    ThreadRecorder tr = Recorder.enterOp();
    if (tr == null) {
      return;
    }
    long[] a = Recorder.recordsSpans(tr) ? input.getShape() : null;
    Recorder.markOpEnd(tr);
    Recorder.exitOp(tr, Kind.OP_OTHER, "relu", 0, 0, a, null, null);
  }

  /** {@code LayerAdvice}: its end read first when recording, the block's class name, and shapes only when recording. */
  @Benchmark
  public void layer() {
    ThreadRecorder tr = Recorder.enterSpan();
    if (tr == null) {
      return;
    }
    long end = Recorder.endOfRecordedSpan(tr);
    String name = input.getClass().getSimpleName();
    long[] in = null;
    long[] out = null;
    if (Recorder.recordsSpans(tr)) {
      in = input.getShape();
      out = weight.getShape();
    }
    Recorder.exitLayer(tr, name, in, out, end);
  }
}
