package io.mltrace.bootstrap;

import java.util.Arrays;

/**
 * What holds the memory of the model being trained: its parameters, their gradients and the optimizer's state, in
 * bytes and arrays. Where the frameworks can tell it (DJL: the block's parameters and the optimizer's state maps;
 * DL4J: the network's flattened parameter, gradient and updater-state views), a framework {@link Reader} reads it
 * from the object that ends a training step (DJL's {@code Trainer}, DL4J's network or its optimizer), which the
 * step-end advice hands to {@link #stepEnding}.
 *
 * <p>Holders change rarely (the optimizer's state appears at the first update), and a reading walks the model, so a
 * thread reads them at its first {@link #FIRST_STEPS} step ends, then every {@link #EVERY} steps but not sooner than
 * {@link #MIN_INTERVAL_NANOS} after its last reading; each reading is a {@link Kind#MEMORY_HOLDER} record per holder
 * told, and the collector carries the latest forward to the steps in between. The time floor is for fast steps: a
 * DJL reading walks the model through reflection that stays interpreted (about 0.4 ms), which every 64 steps of
 * 1 ms steps was 0.5 % of the training thread. A reader that throws is removed, with one line on stderr; nothing
 * reaches the job.
 */
public final class ModelMemory {
  public static final int PARAMETERS = 0;
  public static final int GRADIENTS = 1;
  public static final int OPTIMIZER_STATE = 2;
  public static final int COUNT = 3;
  /** A thread reads its holders at each of its first this many step ends. */
  public static final int FIRST_STEPS = 3;
  /** ...then at every this many. */
  public static final int EVERY = 64;
  /** ...but no sooner than this after the thread's last reading. */
  public static final long MIN_INTERVAL_NANOS = 1_000_000_000L;

  private static volatile long minIntervalNanos = MIN_INTERVAL_NANOS;

  /** Reads the holders of one framework's training object. Called on the training thread, inside its step. */
  public interface Reader {
    /**
     * Fills {@code out[2 * holder]} with bytes and {@code out[2 * holder + 1]} with arrays for each holder it can
     * tell, leaving -1 for the others; returns false when {@code trainingObject} is not its framework's.
     */
    boolean read(Object trainingObject, long[] out) throws Exception;
  }

  private static volatile Reader[] readers = new Reader[0];

  private ModelMemory() {}

  /** Adds a framework's reader (once per framework: a second of the same class is ignored). */
  public static synchronized void install(Reader reader) {
    for (Reader r : readers) {
      if (r.getClass() == reader.getClass()) {
        return;
      }
    }
    Reader[] next = Arrays.copyOf(readers, readers.length + 1);
    next[readers.length] = reader;
    readers = next;
  }

  /** Visible for tests: no reader, and the time floor back to {@link #MIN_INTERVAL_NANOS}. */
  public static synchronized void clear() {
    readers = new Reader[0];
    minIntervalNanos = MIN_INTERVAL_NANOS;
  }

  /** Visible for tests: the time floor between a thread's readings after its first steps. */
  public static void minIntervalNanos(long nanos) {
    minIntervalNanos = nanos;
  }

  /**
   * A training step is ending on this thread; {@code trainingObject} is what ends it. Reads the holders when it is
   * the thread's time to (see the class comment) and writes them into the open step. Never throws.
   */
  public static void stepEnding(Object trainingObject) {
    Reader[] rs = readers;
    if (rs.length == 0 || trainingObject == null || !MemoryGauges.enabled()) {
      return;
    }
    ThreadRecorder tr = Recorder.current();
    if (tr == null || !tr.inStep()) {
      return;
    }
    long n = ++tr.holderSteps;
    if (n > FIRST_STEPS && (n % EVERY != 0 || System.nanoTime() - tr.holdersReadAt < minIntervalNanos)) {
      return;
    }
    long[] out = new long[2 * COUNT];
    for (Reader r : rs) {
      Arrays.fill(out, -1);
      try {
        if (r.read(trainingObject, out)) {
          break;
        }
      } catch (Throwable t) {
        remove(r, t);
        Arrays.fill(out, -1);
      }
    }
    long now = System.nanoTime();
    tr.holdersReadAt = now;
    for (int h = 0; h < COUNT; h++) {
      if (out[2 * h] >= 0) {
        tr.writeMemoryHolder(h, out[2 * h], Math.max(0, out[2 * h + 1]), now);
      }
    }
  }

  private static synchronized void remove(Reader r, Throwable why) {
    Reader[] next = Arrays.stream(readers).filter(x -> x != r).toArray(Reader[]::new);
    if (next.length != readers.length) {
      readers = next;
      System.err.println("mltrace: the model's memory holders are off for " + r + ": " + why);
    }
  }
}
