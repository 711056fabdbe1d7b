package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.ThreadRegistry;
import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.ExternalActivity;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The collector merging its three sources on one core: per invocation, one step of {@link #SPANS} ring records
 * (ops under a phase), {@link #SPANS} JVM activities (samples and a GC pause) and {@link #SPANS} GPU records
 * correlated to the ops; one drain assembles the step with all of them. Reported per activity merged.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CollectorThroughputBenchmark {
  static final int SPANS = 300;

  /** Hands over the activities the benchmark prepared for this invocation. */
  static final class PreparedSource implements ActivitySource {
    final List<ExternalActivity> next = new ArrayList<>();

    @Override
    public String name() {
      return "prepared";
    }

    @Override
    public void drainTo(List<ExternalActivity> out) {
      out.addAll(next);
      next.clear();
    }

    @Override
    public long completeUpToNs() {
      return Long.MAX_VALUE;
    }
  }

  private final PreparedSource source = new PreparedSource();
  private final long[] spanIds = new long[SPANS];
  private Collector collector;
  private long delivered;

  @Setup(Level.Trial)
  public void setUp() {
    ThreadRegistry.setRingCapacity(4 * SPANS);
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(step -> delivered += step.spans().size() + step.external().size()), 1000,
        0, 1_000_000);
    collector.addSource(source);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  @Benchmark
  @OperationsPerInvocation(3 * SPANS)
  public long mergeOneStep() {
    ThreadRecorder phase = Recorder.enterStepPart();
    long start = System.nanoTime();
    for (int i = 0; i < SPANS - 2; i++) {
      ThreadRecorder op = Recorder.enterOp();
      spanIds[i] = op.currentSpanId();
      Recorder.exitOp(op, Kind.OP_OTHER, "relu");
    }
    Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
    long tid = Thread.currentThread().getId();
    long end = System.nanoTime();
    for (int i = 0; i < SPANS; i++) {
      long t = start + (end - start) * i / SPANS;
      source.next.add(i == 0
          ? new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "pause", ExternalActivity.ALL_THREADS,
              t, t + 10, 0, -1, -1, 0, null)
          : new ExternalActivity(ExternalActivity.Origin.JVM, null, ExternalActivity.SAMPLE, tid, t, t, 0, -1, -1,
              0, "a.b.C.m"));
      source.next.add(new ExternalActivity(ExternalActivity.Origin.GPU, Category.GEMM, "sgemm", tid, t, t + 5,
          spanIds[i % (SPANS - 2)], 0, 7, 0, null));
    }
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
    collector.drainOnce();
    return delivered;
  }
}
