package io.mltrace.benchmarks;

import io.mltrace.bootstrap.GemmShapes;
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
 * The recording path of one GEMM op as the advice calls it ({@code enterOp} then {@code exitGemm}), in four
 * modes: recording off, counting only (the step is not sampled; one op in 16 timed, the agent's default),
 * counting with every op timed ({@code op_timing_every=1}), and recording the full span. A collector thread
 * drains the ring meanwhile, as in the agent.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecorderBenchmark {
  @Param({"off", "counting", "counting_exact", "recording"})
  public String mode;

  private final long[] input = {64, 784};
  private final long[] weight = {128, 784};
  private Collector collector;

  @Setup(Level.Trial)
  public void setUp() {
    Recorder.setEnabled(!mode.equals("off"));
    Sampling.update(sp -> sp.withSampleEvery(mode.equals("recording") ? 1 : Long.MAX_VALUE));
    Sampling.update(sp -> sp.withOpTimingEvery(mode.equals("counting_exact") ? 1 : 16));
    collector = Collector.create(List.of(step -> { }), 1, 0, 100_000);
    collector.start();
    // Open a step so that ops are counted (and, when sampled, recorded) as inside it.
    WarmThread.closeWarmUpSteps();
    ThreadRecorder tr = Recorder.enterStepPart();
    Recorder.exitSpan(tr, io.mltrace.bootstrap.Kind.DATA, "data");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  @Benchmark
  public void gemmOp() {
    ThreadRecorder tr = Recorder.enterOp();
    Recorder.markOpEnd(tr);
    Recorder.exitGemm(tr, "linear", GemmShapes.LINEAR, input, weight);
  }
}
