package io.mltrace.benchmarks;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.TensorLife;
import io.mltrace.bootstrap.ThreadRecorder;
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
 * The tensor hooks' bridge path ({@link TensorLife}) inside a counted step (not detailed: no site is taken): one
 * tensor created and closed per operation, so a score is the cost of both hooks together. {@code off}: recording
 * off (the levels are still counted). {@code pooled} reuses 64 tensors (their identity hash already made);
 * {@code fresh} creates each tensor anew, as a framework does (the allocation and the first identity hash are in
 * the score). {@code held}: {@code fresh} with its holder (DJL's creation hook passes its {@code NDManager}),
 * summed per holder as in every step. {@code collectable}: the ND4J path of {@code memory=full} (a weak reference
 * and a lock per tensor); {@code stepOnly}: ND4J's default path (the step's flows only: no level, no reference, no
 * lock), with the hook's own test for an open step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TensorLifeBenchmark {
  @Param({"off", "counted"})
  public String mode;

  private final Object[] pool = new Object[64];
  private final Object holder = new Object();
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    for (int i = 0; i < pool.length; i++) {
      pool[i] = new Object();
      System.identityHashCode(pool[i]);
    }
    TensorLife.reset();
    TensorLife.labelHoldersWith(h -> "batch");
    Recorder.setEnabled(!mode.equals("off"));
    Sampling.update(sp -> sp.withSampleEvery(Long.MAX_VALUE));
    WarmThread.closeWarmUpSteps();
    ThreadRecorder tr = Recorder.enterStepPart(); // a counted step stays open
    Recorder.exitSpan(tr, io.mltrace.bootstrap.Kind.DATA, "data");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    Recorder.setEnabled(false);
    TensorLife.labelHoldersWith(null);
    TensorLife.reset();
  }

  @Benchmark
  public void pooledCreateAndClose() {
    Object t = pool[next++ & 63];
    TensorLife.created(t, 4096);
    TensorLife.closed(t, 4096);
  }

  @Benchmark
  public Object freshCreateAndClose() {
    Object t = new Object();
    TensorLife.created(t, 4096);
    TensorLife.closed(t, 4096);
    return t;
  }

  /** DJL's path: {@code fresh} with the tensor's holder (its {@code NDManager}). */
  @Benchmark
  public Object heldCreateAndClose() {
    Object t = new Object();
    TensorLife.created(t, 4096, holder);
    TensorLife.closed(t, 4096);
    return t;
  }

  /** ND4J's default path ({@code memory=on}): the hook tests for an open step, then counts in the step only. */
  @Benchmark
  public Object stepOnlyCreateAndClose() {
    Object t = new Object();
    if (TensorLife.inStep()) {
      TensorLife.createdInStep(t, 4096);
    }
    TensorLife.closedInStep(t);
    return t;
  }

  @Benchmark
  public Object collectableCreateAndClose() {
    Object t = new Object();
    TensorLife.createdCollectable(t, 4096);
    TensorLife.closedCollectable(t);
    return t;
  }
}
