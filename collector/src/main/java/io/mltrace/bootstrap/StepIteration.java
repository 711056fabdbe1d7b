package io.mltrace.bootstrap;

/**
 * The framework's own iteration count on the step being run ({@link Slots#ATTR_ITERATION}), and the partition of the
 * Spark task running it ({@link Slots#ATTR_PARTITION}): advice that begins an
 * iteration hands over the object that knows it (DL4J's {@code Solver}), and the {@link Reader} the agent installed
 * for that framework reads it. Why the framework's count and not the step number: on a cluster the k-th step of two
 * workers is the same iteration only while both started together and ran alike; the count the driver hands to every
 * worker names it on all of them, so steps can be compared and traced together across workers.
 *
 * <p>A reader that fails is removed, with one line on stderr; nothing reaches the training thread.
 */
public final class StepIteration {
  /** Reads the iteration count from the object an iteration's advice hands over. */
  public interface Reader {
    /** The count, or -1 when this object does not keep one. */
    long iteration(Object trainingObject) throws Exception;

    /** The partition id of the Spark task running this iteration on the calling thread, or -1 when none. */
    default long partition(Object trainingObject) throws Exception {
      return -1;
    }
  }

  private static volatile Reader reader;

  private StepIteration() {}

  public static void install(Reader r) {
    reader = r;
  }

  /**
   * The partition id of the Spark task running on the calling thread, read beside {@code anyObject}'s class (the
   * reader finds Spark in that class's loader), or -1: no reader, no object, no task. Never throws.
   */
  public static long partitionOf(Object anyObject) {
    Reader r = reader;
    if (r == null || anyObject == null) {
      return -1;
    }
    try {
      return r.partition(anyObject);
    } catch (Throwable t) {
      return -1;
    }
  }

  /** Sets the open step's iteration on {@code tr}'s thread from {@code trainingObject}. Never throws. */
  public static void note(ThreadRecorder tr, Object trainingObject) {
    note(tr, trainingObject, -1);
  }

  /**
   * As {@link #note(ThreadRecorder, Object)}, with the count the advice read itself ({@code known}; -1: not read, the
   * reader reads it). Why the advice reads it where it can: inlined into the framework's class it is a plain call,
   * where the reader's method handles, looked up per class, cost the training thread microseconds a step while the
   * once-a-step code is not compiled (issue 22: about half a point of DL4J's first 3000 steps).
   */
  public static void note(ThreadRecorder tr, Object trainingObject, long known) {
    Reader r = reader;
    if (tr == null || r == null || !tr.inStep()) {
      return;
    }
    try {
      long iteration = known >= 0 ? known : r.iteration(trainingObject);
      if (iteration >= 0) {
        tr.setStepAttribute(Slots.ATTR_ITERATION, iteration + 1);
        Sampling.alignToIteration(Recorder.stepsClosed() + 1, iteration);
      }
      long partition = r.partition(trainingObject);
      if (partition >= 0) {
        tr.setStepAttribute(Slots.ATTR_PARTITION, partition + 1);
      }
    } catch (Throwable t) {
      synchronized (StepIteration.class) {
        if (reader == r) {
          reader = null;
          System.err.println("mltrace: the training iteration count is off for " + r + ": " + t);
        }
      }
    }
  }
}
