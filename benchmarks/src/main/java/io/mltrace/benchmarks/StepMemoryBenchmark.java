package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.ThreadRegistry;
import io.mltrace.collector.Collector;
import java.util.List;
import java.util.SplittableRandom;
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
 * What a step's memory costs, end to end on one core: a counted step (a data fetch and a phase) recorded by the
 * bridge and assembled by the collector, with {@code series} memory levels (0: none) read from gauges when the
 * step closes, written in its {@code STEP_MEMORY} record and judged by the leak finder. The levels are noisy (no
 * fast path for flat ones), so this is the leak finder's worst steady case. Reported per step; the difference
 * between {@code series=0} and the others is the memory's cost on the training thread plus the collector thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StepMemoryBenchmark {
  private static final int[] LEVELS = {MemorySlots.ARRAYS_LIVE_BYTES, MemorySlots.OFFHEAP_BYTES,
      MemorySlots.PHYSICAL_BYTES, MemorySlots.WORKSPACE_BYTES};

  @Param({"0", "4"})
  public int series;

  private final SplittableRandom random = new SplittableRandom(5);
  private Collector collector;
  private long delivered;

  @Setup(Level.Trial)
  public void setUp() {
    ThreadRegistry.setRingCapacity(8192);
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1_000_000_000L));
    for (int i = 0; i < series; i++) {
      MemoryGauges.install(LEVELS[i], () -> 100_000_000 + random.nextInt(1_000_000));
    }
    collector = Collector.create(List.of(step -> delivered += step.memory().values().size()), 1000, 0, 1_000_000);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    collector.close();
    MemoryGauges.clear();
    Recorder.setEnabled(false);
  }

  @Benchmark
  public long countedStep() {
    ThreadRecorder data = Recorder.enterStepPart();
    Recorder.exitSpan(data, Kind.DATA, "data");
    ThreadRecorder phase = Recorder.enterStepPart();
    Recorder.exitStepEnd(phase, "trainBatch");
    collector.drainOnce();
    return delivered;
  }
}
