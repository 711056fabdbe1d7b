package io.mltrace.agent;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.collector.Collector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The collector, with its sinks, as premain has it built beside the job at launch (about 60 ms of class loading
 * and file creation that the application's thread need not wait for: the training threads' records wait in their
 * rings until the collector drains them). Whoever needs the collector (the exit paths) waits for it, bounded. A
 * build that fails turns recording off with one line on stderr, as a failing start did before.
 */
final class StartingCollector {
  /** The exit paths wait at most this long for a build that has not finished (it takes tens of milliseconds). */
  static final long WAIT_SECONDS = 30;

  private final CountDownLatch built = new CountDownLatch(1);
  private volatile Collector collector;
  private boolean failed;
  private boolean recording;

  /** Builds the collector on the calling thread; never throws. */
  void build(Supplier<Collector> builder) {
    try {
      collector = builder.get();
    } catch (Throwable t) {
      synchronized (this) {
        failed = true;
        if (recording) {
          Recorder.setEnabled(false);
        }
      }
      System.err.println("mltrace: the collector did not start (" + t + "); nothing is recorded");
    } finally {
      built.countDown();
    }
  }

  /** Turns recording on, unless the build failed (then it stays off). */
  synchronized void enableRecording() {
    if (!failed) {
      recording = true;
      Recorder.setEnabled(true);
    }
  }

  /** The collector once built; null when its build failed or did not finish within {@link #WAIT_SECONDS}. */
  Collector await() {
    try {
      if (!built.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    return collector;
  }
}
