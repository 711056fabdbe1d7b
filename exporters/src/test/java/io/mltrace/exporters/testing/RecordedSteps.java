package io.mltrace.exporters.testing;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.TestMemorySites;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Records real steps through the recorder and the collector: per step a data fetch, a {@code trainBatch} phase
 * holding a {@code dense} layer holding a GEMM, and the optimizer phase that closes the step.
 *
 * <p>With {@link #runWithActivities}, a scripted {@link ActivitySource} also delivers, per step, what JFR and CUPTI
 * would: a GC pause stopping all threads during the data fetch, an execution sample in framework time, and two GPU
 * records launched by the GEMM op (a host-to-device copy on one stream, then a kernel on another).
 */
public final class RecordedSteps {
  public static final long GEMM_FLOPS = 2L * 8 * 4 * 16;
  /** Spans per step, the step span included: step, data, trainBatch, dense, matmul, optimizer. */
  public static final int SPANS_PER_STEP = 6;
  public static final String KERNEL = "volta_sgemm_128x64_nn";
  public static final String COPY = "memcpy H2D";
  public static final String GC_PAUSE = "Pause Young";
  /** A second GC pause, spanning the boundary between the first and second step (see {@link #runWithActivities}). */
  public static final String GC_ACROSS = "Pause Full";
  public static final String FRAME = "com.example.Listener.onBatch";
  /** The GEMM op's element type, as {@code DataTypes.name} writes it. */
  public static final String GEMM_DTYPE = "float32";
  /** With {@link #runWithBackward}: the backward phase and the estimated GEMM span recorded at its end. */
  public static final String BACKWARD = "backward";
  public static final String BACKWARD_ESTIMATE = "backward gemm (estimate)";
  public static final int DEVICE = 0;
  public static final int KERNEL_STREAM = 7;
  public static final int COPY_STREAM = 8;
  public static final long COPY_BYTES = 4096;
  public static final long KERNEL_NS = 200_000;
  public static final long COPY_NS = 30_000;
  public static final long GC_NS = 100_000;
  /** The launching API calls: the copy's from 1 µs into the op for 5 µs, then the kernel's for 2 µs. */
  public static final long COPY_LAUNCH_AT = 1_000;
  public static final long COPY_LAUNCH_NS = 5_000;
  public static final long KERNEL_LAUNCH_AT = 6_000;
  public static final long KERNEL_LAUNCH_NS = 2_000;
  /** The records start 10 µs (copy) and 50 µs (kernel) into the op. */
  public static final long COPY_START_AT = 10_000;
  public static final long KERNEL_START_AT = 50_000;
  /** GPU records per step (copy and kernel) and JVM intervals per step (the GC pause); samples come on top. */
  public static final int GPU_RECORDS_PER_STEP = 2;
  public static final int JVM_EVENTS_PER_STEP = 1;

  /**
   * With {@link #runWithMemory}: the live-arrays level starts at {@link #LIVE_BYTES_AT_START} and grows by
   * {@link #LEAK_BYTES_PER_STEP} in every step (one array of that size kept per step), and each step creates
   * {@link #CREATED_BYTES_PER_STEP} bytes of arrays.
   */
  public static final long LIVE_BYTES_AT_START = 8L << 20;
  public static final long LEAK_BYTES_PER_STEP = 1L << 20;
  public static final long CREATED_BYTES_PER_STEP = 3 * 4096;
  /** With {@link #runWithMemory}: the holder of each step's leaked array, and of two batch arrays of its. */
  public static final String KEPT_HOLDER = "kept arrays";
  public static final String BATCH_HOLDER = "batch";
  public static final long BATCH_ALIVE_BYTES = 2048;
  /** With {@link #runWithMemory}: where the leaked arrays were created, as the tensor hooks name a frame. */
  public static final String LEAK_SITE = "com.example.Leaky.trainStep(Leaky.java:42)";
  /** Steps enough for the leak finder's default rule to judge a window (10 warm-up steps, 32 points). */
  public static final int STEPS_TO_FIND_A_LEAK = 48;
  /** How far before the run's end the last judgement of a window may be (the finder judges every 32 points). */
  public static final int JUDGED_EVERY = 32;

  public final List<Step> steps = new ArrayList<>();

  /** Runs {@code count} steps on a {@code trainer-thread} and closes the collector; sinks see every step. */
  public static RecordedSteps run(int count, StepSink... sinks) throws InterruptedException {
    return run(count, null, false, sinks);
  }

  /** As {@link #run}, with JVM events and GPU records delivered by a scripted source (see the class comment). */
  public static RecordedSteps runWithActivities(int count, StepSink... sinks) throws InterruptedException {
    return run(count, new ScriptedActivities(), false, sinks);
  }

  /**
   * As {@link #run}, each step carrying the framework's iteration count ({@code Slots.ATTR_ITERATION}) and a Spark
   * partition (the iteration's parity, {@code Slots.ATTR_PARTITION}), the count from
   * {@code firstIteration} on, as DL4J's steps do.
   */
  public static RecordedSteps runWithIterations(int count, long firstIteration, StepSink... sinks)
      throws InterruptedException {
    return runWithIterations(count, firstIteration, 0, sinks);
  }

  /**
   * As above, the partition being {@code (iteration + worker) % 2}: two workers with {@code worker} 0 and 1 fit the two
   * partitions of each split, as parameter averaging hands them out.
   */
  public static RecordedSteps runWithIterations(int count, long firstIteration, int worker, StepSink... sinks)
      throws InterruptedException {
    long[] next = {firstIteration};
    return run(count, null, false, false, () -> {
      Recorder.setStepAttribute(Recorder.current(), io.mltrace.bootstrap.Slots.ATTR_PARTITION,
          (next[0] + worker) % 2 + 1);
      Recorder.setStepAttribute(Recorder.current(), io.mltrace.bootstrap.Slots.ATTR_ITERATION, next[0]++ + 1);
    }, sinks);
  }

  /** As above; with {@code gcAcrossSteps}, also a pause {@link #GC_ACROSS} over the end of the first step. */
  public static RecordedSteps runWithActivities(int count, boolean gcAcrossSteps, StepSink... sinks)
      throws InterruptedException {
    return run(count, new ScriptedActivities(), gcAcrossSteps, sinks);
  }

  /** As {@link #runWithActivities(int, StepSink...)}, with {@code safepoints} more 0.5 µs safepoints in each step. */
  public static RecordedSteps runWithSafepoints(int count, int safepoints, StepSink... sinks)
      throws InterruptedException {
    ScriptedActivities source = new ScriptedActivities();
    source.safepointsPerStep = safepoints;
    return run(count, source, false, sinks);
  }

  /**
   * As {@link #run}, with a {@link #BACKWARD} phase after {@code trainBatch} that holds no op span: the recorder
   * adds the estimated GEMM span {@link #BACKWARD_ESTIMATE} (flagged as an estimate) at its end. Two more spans per
   * step.
   */
  public static RecordedSteps runWithBackward(int count, StepSink... sinks) throws InterruptedException {
    return run(count, null, false, true, sinks);
  }

  /**
   * As {@link #run} (with the scripted JVM events and GPU records when {@code activities}), with memory measured
   * through the bridge as the agent measures it: the training thread's real heap allocation per step (the JVM's
   * per-thread counter), the live-arrays level and count read by installed gauges at each step's close, and the
   * bytes of arrays created in the step added by the step's own thread. The live level leaks
   * {@link #LEAK_BYTES_PER_STEP} per step, all created at {@link #LEAK_SITE}: each (sampled) step writes that site's
   * record, with the bytes and count of the leaked arrays alive so far. The gauges are removed when the run ends.
   */
  public static RecordedSteps runWithMemory(int count, boolean activities, StepSink... sinks)
      throws InterruptedException {
    AtomicLong live = new AtomicLong(LIVE_BYTES_AT_START);
    AtomicLong liveCount = new AtomicLong(100);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    MemoryGauges.installThreadAllocation(threads::getCurrentThreadAllocatedBytes);
    MemoryGauges.install(MemorySlots.ARRAYS_LIVE_BYTES, live::get);
    MemoryGauges.install(MemorySlots.ARRAYS_LIVE, liveCount::get);
    try {
      return run(count, activities ? new ScriptedActivities() : null, false, false, () -> {
        Recorder.addToStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, CREATED_BYTES_PER_STEP);
        long leaked = live.addAndGet(LEAK_BYTES_PER_STEP) - LIVE_BYTES_AT_START - LEAK_BYTES_PER_STEP;
        liveCount.incrementAndGet();
        // The arrays of the earlier steps outlived their steps (this step's own array is not past its step yet).
        if (leaked > 0) {
          TestMemorySites.write(LEAK_SITE, MemorySlots.ARRAYS_LIVE_BYTES, leaked, leaked / LEAK_BYTES_PER_STEP);
        }
        // This step's own survivors by holder, as DJL's hooks write them: the leaked array and a batch array.
        TestMemorySites.write(KEPT_HOLDER, MemorySlots.STEP_ARRAYS_ALIVE_BYTES, LEAK_BYTES_PER_STEP, 1);
        TestMemorySites.write(BATCH_HOLDER, MemorySlots.STEP_ARRAYS_ALIVE_BYTES, BATCH_ALIVE_BYTES, 2);
      }, sinks);
    } finally {
      MemoryGauges.clear();
    }
  }

  /**
   * The live-arrays level at the end of the {@code n}th step (from 1) of a {@link #runWithMemory} run; step numbers
   * count on across runs in one JVM, so {@code n} is the step's place in {@link #steps}, plus one.
   */
  public static long liveBytesAfterStep(long n) {
    return LIVE_BYTES_AT_START + n * LEAK_BYTES_PER_STEP;
  }

  private static RecordedSteps run(int count, ScriptedActivities source, boolean gcAcrossSteps, StepSink... sinks)
      throws InterruptedException {
    return run(count, source, gcAcrossSteps, false, sinks);
  }

  private static RecordedSteps run(int count, ScriptedActivities source, boolean gcAcrossSteps, boolean backward,
      StepSink... sinks) throws InterruptedException {
    return run(count, source, gcAcrossSteps, backward, null, sinks);
  }

  /** {@code inStep}, when not null, runs inside each step on the training thread. */
  private static RecordedSteps run(int count, ScriptedActivities source, boolean gcAcrossSteps, boolean backward,
      Runnable inStep, StepSink... sinks) throws InterruptedException {
    RecordedSteps r = new RecordedSteps();
    List<StepSink> all = new ArrayList<>(List.of(sinks));
    all.add(0, r.steps::add);
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Collector c = Collector.create(all, 10, 0, 10_000);
    if (source != null) {
      c.addSource(source);
      c.setCloseWaitMillis(0);
    }
    try {
      Thread t = new Thread(() -> {
        for (int i = 0; i < count; i++) {
          long beforeEnd = oneStep(source, backward, inStep);
          if (i == 0 && gcAcrossSteps) {
            // From before the step's end to after the next step's start, however late this thread runs here.
            source.add(new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, GC_ACROSS,
                ExternalActivity.ALL_THREADS, beforeEnd - 50_000, System.nanoTime() + 50_000, 0, -1, -1, 0, null));
          }
        }
      }, "trainer-thread");
      t.start();
      t.join();
      c.close();
    } finally {
      Recorder.setEnabled(false);
    }
    return r;
  }

  /** Records one step; returns a time read just before the step closed. */
  private static long oneStep(ScriptedActivities source, boolean backward, Runnable inStep) {
    ThreadRecorder d = Recorder.enterStepPart();
    if (inStep != null) {
      inStep.run();
    }
    long dataStart = System.nanoTime();
    LockSupport.parkNanos(200_000);
    Recorder.exitSpan(d, Kind.DATA, "data");
    ThreadRecorder p = Recorder.enterStepPart();
    ThreadRecorder layer = Recorder.enterSpan();
    LockSupport.parkNanos(50_000);
    long inFramework = System.nanoTime();
    LockSupport.parkNanos(50_000);
    ThreadRecorder g = Recorder.enterOp();
    long opSpan = g.currentSpanId();
    long opStart = System.nanoTime();
    LockSupport.parkNanos(300_000);
    long[] a = {8, 16};
    long[] b = {16, 4};
    Recorder.exitOp(g, Kind.OP_GEMM, "matmul", GemmShapes.flops(GemmShapes.MATMUL, a, b), 0, a, b, null,
        DataTypes.FLOAT32);
    Recorder.exitSpan(layer, Kind.LAYER, "dense");
    Recorder.exitSpan(p, Kind.PHASE, "trainBatch");
    if (backward) {
      ThreadRecorder bw = Recorder.enterSpan();
      LockSupport.parkNanos(400_000);
      Recorder.exitBackward(bw, BACKWARD, BACKWARD_ESTIMATE);
    }
    ThreadRecorder o = Recorder.enterStepPart();
    long beforeEnd = System.nanoTime();
    Recorder.exitStepEnd(o, "optimizer");
    if (source == null) {
      return beforeEnd;
    }
    long thread = Thread.currentThread().getId();
    source.add(new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, GC_PAUSE, ExternalActivity.ALL_THREADS,
        dataStart + 50_000, dataStart + 50_000 + GC_NS, 0, -1, -1, 0, null));
    source.add(new ExternalActivity(ExternalActivity.Origin.JVM, null, ExternalActivity.SAMPLE, thread, inFramework,
        inFramework, 0, -1, -1, 0, FRAME));
    for (int i = 0; i < source.safepointsPerStep; i++) {
      long at = opStart + 1_000 + i * 1_000L; // inside the 300 µs GEMM op
      source.add(new ExternalActivity(ExternalActivity.Origin.JVM, Category.JIT_SAFEPOINT, "safepoint",
          ExternalActivity.ALL_THREADS, at, at + 500, 0, -1, -1, 0, null));
    }
    source.add(new ExternalActivity(ExternalActivity.Origin.GPU, Category.MEMCPY, COPY, 0, opStart + 10_000,
        opStart + 10_000 + COPY_NS, opSpan, DEVICE, COPY_STREAM, COPY_BYTES, "H2D", opStart + COPY_LAUNCH_AT,
        opStart + COPY_LAUNCH_AT + COPY_LAUNCH_NS));
    source.add(new ExternalActivity(ExternalActivity.Origin.GPU, Category.GEMM, KERNEL, 0, opStart + 50_000,
        opStart + 50_000 + KERNEL_NS, opSpan, DEVICE, KERNEL_STREAM, 0, "grid 4 block 128",
        opStart + KERNEL_LAUNCH_AT, opStart + KERNEL_LAUNCH_AT + KERNEL_LAUNCH_NS));
    return beforeEnd;
  }

  /** Delivers what the trainer thread adds; everything is delivered by the time the collector closes. */
  static final class ScriptedActivities implements ActivitySource {
    private final Queue<ExternalActivity> ready = new ConcurrentLinkedQueue<>();
    int safepointsPerStep;

    void add(ExternalActivity a) {
      ready.add(a);
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public void drainTo(List<ExternalActivity> out) {
      for (ExternalActivity a; (a = ready.poll()) != null; ) {
        out.add(a);
      }
    }

    @Override
    public long completeUpToNs() {
      return Long.MAX_VALUE;
    }
  }
}
