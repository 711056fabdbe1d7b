package io.mltrace.benchmarks;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.OpFlops;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
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
 * The work the DL4J op advice ({@code io.mltrace.agent.dl4j.CustomOpAdvice} and {@code LegacyOpAdvice}) adds to
 * one ND4J op, in three modes: recording off, counting only (the step is not sampled), recording the full span.
 * The advice's calls into ND4J are Java field reads ({@code opName()} returns a constant, {@code shape()} a cached
 * {@code long[]}), so the shapes here are such arrays; the rest is the advice's own code: GEMM classification, FLOPs
 * from three shapes, the data type code, the record. A collector thread drains the ring meanwhile.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Nd4jOpAdviceBenchmark {
  @Param({"off", "counting", "recording"})
  public String mode;

  private final long[] input = {64, 784};
  private final long[] weights = {784, 128};
  private final long[] output = {64, 128};
  private final String matmul = "matmul";
  private final String relu = "relu";
  private final String floatType = "FLOAT";
  private Collector collector;

  @Setup(Level.Trial)
  public void setUp() {
    Recorder.setEnabled(!mode.equals("off"));
    Sampling.update(sp -> sp.withSampleEvery(mode.equals("recording") ? 1 : Long.MAX_VALUE));
    collector = Collector.create(List.of(step -> { }), 1, 0, 100_000);
    collector.start();
    Recorder.loopStart();
    WarmThread.closeWarmUpSteps();
    Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  /** A custom op that is a GEMM: {@code matmul} with two inputs and an output, FLOPs from the three shapes. */
  @Benchmark
  public void customGemmOp() {
    ThreadRecorder tr = Recorder.enterOp();
    if (tr == null) {
      return;
    }
    String name = matmul;
    int kind = Kind.OP_OTHER;
    long flops = 0;
    if (OpFlops.isGemmLike(name)) {
      kind = Kind.OP_GEMM;
      flops = OpFlops.ofNamedOp(name, input, weights, null, output);
    }
    Recorder.markOpEnd(tr);
    Recorder.exitOp(tr, kind, name, flops, 0, input, weights, output, DataTypes.code(floatType));
  }

  /** A legacy op ({@code relu}): name, three shapes, data type. */
  @Benchmark
  public void legacyOp() {
    ThreadRecorder tr = Recorder.enterOp();
    if (tr == null) {
      return;
    }
    Recorder.markOpEnd(tr);
    Recorder.exitOp(tr, Kind.OP_OTHER, relu, 0, 0, output, null, output, DataTypes.code(floatType));
  }
}
