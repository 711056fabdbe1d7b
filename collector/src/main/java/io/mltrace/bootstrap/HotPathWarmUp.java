package io.mltrace.bootstrap;

/**
 * Runs the code a training thread runs once a step (the backward pass's estimate, the step's close and the next
 * step's open, with a step's tensors, memory record, holders and op counts) on a thread of its own, on a private
 * recorder that no collector sees, so that the JIT compiles it before the training thread has run it often enough to
 * compile it itself.
 *
 * <p>Why (issue 22): the agent's work on a training thread costs about 1 % of a step once compiled, but 7-10 % of each
 * of a DJL job's first 3000 steps; async-profiler on the lockstep harness put nearly all of the difference in the
 * agent's own frames, interpreted or in C1. Code run dozens of times a step (the op and tensor hooks) is compiled
 * within the job's first steps; code run once a step (the step's close, the backward pass's exit) reached C1 only
 * after about 1,400 steps and C2 (5,000 calls) never within the first 3000. Here it runs 20,000 times in a fraction
 * of a second: C1 about 0.1 s after the first step, C2 about 1 s after. Only that: a warm-up of the op paths too
 * (tried) queued so many compiles in front of the job's own that the job lost what it gained.
 *
 * <p>What it never touches: the process-wide levels and tables ({@link TensorLife}'s live tensors, the outliving
 * tensors), the step counter, the sampling policy's state, the GPU correlation, the engine profiler, the memory
 * gauges that may read the calling thread's framework state (ND4J's workspaces). It reads, at each synthetic close,
 * the gauges that read process-wide counters only ({@link MemoryGauges#installAnyThread}: the tensor levels, the
 * detached buffers), which a training thread reads once a step. Its tensors are plain objects that live only in its
 * own recorder's step tables. Started once, by the first step that closes on a training thread (a job that never
 * trains pays nothing), when the agent turned it on ({@link #enable}); it stops after {@link #STEPS} synthetic steps,
 * or after its current one when the JVM begins to exit ({@link #stop}).
 */
public final class HotPathWarmUp {
  /** Synthetic step boundaries: enough for C2 (5,000 calls, more while the compile queues are long). */
  static final int STEPS = 20000;

  private static volatile boolean enabled;
  private static volatile boolean stopped;
  private static volatile Thread running;
  private static final Object START_LOCK = new Object();

  private HotPathWarmUp() {}

  /** The agent turns the warm-up on ({@code warm_up=on}, the default); off, {@link #startOnce} does nothing. */
  public static void enable(boolean on) {
    enabled = on;
  }

  /** The JVM is exiting: a running warm-up ends after its current synthetic step. */
  public static void stop() {
    stopped = true;
  }

  /** Whether {@link #stop} was called: the JVM is exiting, and work that only pays off later had better not start. */
  public static boolean stopped() {
    return stopped;
  }

  /** The warm-up's thread, while it runs or after; null when it never started. Visible for tests. */
  static Thread thread() {
    return running;
  }

  /** Visible for tests: off, never started, not stopped (a finished or running thread is forgotten, not stopped). */
  static void reset() {
    synchronized (START_LOCK) {
      enabled = false;
      stopped = false;
      running = null;
    }
  }

  /** Starts the warm-up on a daemon thread, the first time only, when it is enabled. Any thread; never throws. */
  static void startOnce() {
    if (!enabled || running != null || stopped) {
      return;
    }
    synchronized (START_LOCK) {
      if (running != null) {
        return;
      }
      try {
        Thread t = new Thread(() -> run(STEPS), "mltrace-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        running = t;
        t.start();
      } catch (Throwable e) {
        enabled = false; // a JVM that cannot start a thread now: the training thread compiles the code itself
      }
    }
  }

  /** Runs {@code steps} synthetic steps on the calling thread; returns how many ran. Never throws. */
  static int run(int steps) {
    try {
      return new Synthetic().run(steps);
    } catch (Throwable e) {
      return -1; // the warm-up is an optimisation: a fault in it must never reach anyone
    }
  }

  /**
   * What runs once a step (a backward pass after a forward GEMM, the step's close and the next step's open, with a
   * step's tensors, so that every record of a counted step is written), with as few ops as that takes: the per-op
   * paths run dozens of times a step and the job compiles them itself within its first steps.
   */
  private static final class Synthetic {
    private static final ThreadRecorder.RecordVisitor DISCARD = (source, slots, base, name) -> { };
    private static final long[] INPUT = {64, 784};
    private static final long[] WEIGHT = {128, 784};

    private final ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), 0xffffe, 1024);
    private final Object[] tensors = new Object[4];
    private final Object holder = new Object();

    Synthetic() {
      tr.privateRecorder();
      tr.skipWarmUp();
      for (int i = 0; i < tensors.length; i++) {
        tensors[i] = new Object();
      }
    }

    int run(int steps) {
      int n = 0;
      tr.openStep(System.nanoTime(), false);
      while (n < steps && !stopped) {
        n++;
        int t = (n & 1) * 2;
        tr.tensors().closed(tensors[2 - t], TensorTable.key(tensors[2 - t])); // the step before's survivor
        tr.tensors().created(tensors[t], TensorTable.key(tensors[t]), 4096, holder);
        tr.tensors().created(tensors[t + 1], TensorTable.key(tensors[t + 1]), 4096, holder);
        tr.tensors().closed(tensors[t + 1], TensorTable.key(tensors[t + 1]));
        tr.push(System.nanoTime()); // the forward pass: one GEMM, whose FLOPs the backward pass then estimates from
        ThreadRecorder op = Recorder.enterOp(tr);
        Recorder.markOpEnd(op);
        Recorder.exitGemm(op, "linear", GemmShapes.LINEAR, INPUT, WEIGHT);
        Recorder.exitSpan(tr, Kind.PHASE, "forward");
        tr.push(System.nanoTime()); // the backward pass, once a step like the boundary
        Recorder.exitBackward(tr, "backward", "backward gemm");
        tr.push(System.nanoTime());
        op = Recorder.enterOp(tr);
        Recorder.markOpEnd(op);
        Recorder.exitOp(op, Kind.OP_OTHER, "sgdUpdate", 0, 0, null, null, null);
        int base = tr.pop(System.nanoTime(), Kind.PHASE, 0, 0, 0); // the step-ending span
        if (base >= 0) {
          tr.commit(base, "step");
        }
        long end = tr.closeStep(System.nanoTime(), n);
        tr.openStep(end, false);
        tr.stepOpened(System.nanoTime());
        tr.drain(DISCARD);
      }
      tr.abandonStep();
      tr.drain(DISCARD);
      return n;
    }
  }
}
