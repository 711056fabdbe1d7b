package io.mltrace.bootstrap;

import java.util.Iterator;

/**
 * An {@link Iterable} of batches whose iterators record every {@code hasNext()} and {@code next()} as a
 * {@link Kind#DATA} span of the training step (opening the step when none is open, as the framework's own batch
 * fetches do). The advice on DJL's {@code Trainer.iterateDataset} hands the training loop this wrapper around a
 * dataset's own iterable when that is not DJL's {@code DataIterable} (which is hooked directly): a streaming
 * dataset, a wrapper, anything a user wrote. On the bootstrap path so that every class loader sees it.
 */
public final class TimedBatches<T> implements Iterable<T> {
  private final Iterable<T> source;

  private TimedBatches(Iterable<T> source) {
    this.source = source;
  }

  /** The iterable whose fetches are recorded; {@code source} itself when it is null or already wrapped. */
  public static <T> Iterable<T> wrap(Iterable<T> source) {
    if (source == null || source instanceof TimedBatches) {
      return source;
    }
    return new TimedBatches<>(source);
  }

  @Override
  public Iterator<T> iterator() {
    return new TimedIterator<>(source.iterator());
  }

  private static final class TimedIterator<T> implements Iterator<T> {
    private final Iterator<T> source;

    TimedIterator(Iterator<T> source) {
      this.source = source;
    }

    @Override
    public boolean hasNext() {
      ThreadRecorder tr = enter();
      try {
        return source.hasNext();
      } finally {
        exit(tr);
      }
    }

    @Override
    public T next() {
      ThreadRecorder tr = enter();
      try {
        return source.next();
      } finally {
        exit(tr);
      }
    }

    @Override
    public void remove() {
      source.remove();
    }

    private static ThreadRecorder enter() {
      try {
        return Recorder.enterStepPart();
      } catch (Throwable t) {
        return null; // recording never reaches the application
      }
    }

    private static void exit(ThreadRecorder tr) {
      try {
        Recorder.exitSpan(tr, Kind.DATA, "data");
      } catch (Throwable ignored) {
        // as above
      }
    }
  }
}
