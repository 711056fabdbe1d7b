package io.mltrace.benchmarks;

import io.mltrace.bootstrap.GpuCorrelation;
import io.mltrace.bootstrap.GpuNative;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.gpu.FakeCupti;
import io.mltrace.gpu.GpuTracing;
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
 * What GPU correlation adds to each span. {@code off}: GPU tracing is not active, so each span pays the gate (one
 * static volatile read, and a bit test at exit). {@code bridge}: active through the CUPTI bridge into the fake
 * libcupti, so each span pushes and pops its id through JNI (the fake's push is a thread-local array store;
 * real CUPTI's own cost comes on top and is measured by examples/gpu-check on a GPU).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GpuCorrelationBenchmark {
  @Param({"off", "bridge"})
  public String mode;

  private GpuTracing gpu;
  private Collector collector;
  private long pushed;

  @Setup(Level.Trial)
  public void setUp() {
    if (mode.equals("bridge")) {
      FakeCupti.configure(-1, false, false, false);
      gpu = GpuTracing.start(new GpuTracing.Options().cuptiPath(FakeCupti.PATH), System.err::println);
      if (!gpu.enable()) {
        throw new IllegalStateException("GPU tracing did not start: " + gpu.unavailableReason());
      }
    }
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(step -> { }), 1, 0, 100_000);
    collector.start();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (gpu != null) {
      gpu.finish();
    }
    collector.close();
    Recorder.setEnabled(false);
  }

  /** The gate exactly as ThreadRecorder runs it on span entry and exit, without the span. */
  @Benchmark
  public long gatedPushPop() {
    if (GpuCorrelation.isActive()) {
      GpuNative.push0(42);
      pushed |= 1;
    }
    if (pushed != 0 && (pushed & 1) != 0) {
      GpuNative.pop0();
      pushed &= ~1L;
    }
    return pushed;
  }

  /** A whole recorded span (enter and exit, written to the ring), gate or push/pop included. */
  @Benchmark
  public void recordedSpan() {
    ThreadRecorder tr = Recorder.enterSpan();
    Recorder.exitSpan(tr, Kind.LAYER, "layer");
  }
}
