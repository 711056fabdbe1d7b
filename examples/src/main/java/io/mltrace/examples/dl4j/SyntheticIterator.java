package io.mltrace.examples.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A fixed list of batches, made up front, that sleeps a known time in every {@link #next()}: the tests check that
 * the agent recovers that time as data loading. {@code async} decides whether DL4J wraps it in its prefetching
 * {@code AsyncDataSetIterator} (then the sleep runs on the prefetch thread).
 */
class SyntheticIterator implements DataSetIterator {
  private final List<DataSet> batches;
  private final long sleepMicros;
  private final boolean async;
  private int cursor;
  private long nanosInNext;
  private DataSetPreProcessor preProcessor;

  SyntheticIterator(List<DataSet> batches, long sleepMicros, boolean async) {
    this.batches = new ArrayList<>(batches);
    this.sleepMicros = sleepMicros;
    this.async = async;
  }

  @Override
  public DataSet next(int num) {
    return next();
  }

  @Override
  public DataSet next() {
    long start = System.nanoTime();
    if (sleepMicros > 0) {
      sleep(sleepMicros);
    }
    DataSet batch = batches.get(cursor++);
    if (preProcessor != null) {
      // Batches are reused across epochs: a pre-processor set here must be idempotent.
      preProcessor.preProcess(batch);
    }
    nanosInNext += System.nanoTime() - start;
    return batch;
  }

  /** Time spent inside {@link #next()} so far, measured by the iterator itself: the figure the agent must find. */
  long nanosInNext() {
    return nanosInNext;
  }

  /** Sleeps at least the given time, retrying when interrupted early (the recovered figure must be exact). */
  private static void sleep(long micros) {
    long end = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public boolean hasNext() {
    return cursor < batches.size();
  }

  @Override
  public int inputColumns() {
    return (int) batches.get(0).getFeatures().size(1);
  }

  @Override
  public int totalOutcomes() {
    INDArray labels = batches.get(0).getLabels();
    return (int) labels.size(1);
  }

  @Override
  public boolean resetSupported() {
    return true;
  }

  @Override
  public boolean asyncSupported() {
    return async;
  }

  @Override
  public void reset() {
    cursor = 0;
  }

  @Override
  public int batch() {
    return (int) batches.get(0).getFeatures().size(0);
  }

  @Override
  public void setPreProcessor(DataSetPreProcessor preProcessor) {
    this.preProcessor = preProcessor;
  }

  @Override
  public DataSetPreProcessor getPreProcessor() {
    return preProcessor;
  }

  @Override
  public List<String> getLabels() {
    return null;
  }
}
