package io.mltrace.agent.control;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.bytebuddy.agent.builder.AgentBuilder;

/**
 * Times the batches in which already-loaded classes are retransformed on attach, and rests between them.
 *
 * <p>Why: a retransformation ends in a stop-the-world pause (the JVM swaps the class versions at a safepoint).
 * Small batches keep each pause short, and the rest between batches lets the application run.
 *
 * <p>Two figures per batch. The <em>call</em>: from just before to just after {@code retransformClasses}; it
 * includes the transformation itself, which runs on the attaching thread while the application runs on, so it
 * overstates the pause. The <em>pause</em>: while batches run, a probe thread sleeps {@link PauseProbe#TICK_NANOS}
 * at a time and notes how late it wakes; a Java thread cannot resume during a safepoint, so the longest lateness
 * during a batch estimates the longest stop the application felt. It is an estimate: it adds the OS's scheduling
 * delay, and has also read below the JVM's own {@code -Xlog:safepoint} figure (docs/benchmarks.md).
 */
public final class RetransformTimer implements AgentBuilder.RedefinitionStrategy.Listener {
  private final long restMillis;
  private long batchStart;
  private boolean timing;
  private int batches;
  private int classes;
  private int failedBatches;
  private long longestNs;
  private long totalNs;
  private long longestPauseNs;
  private PauseProbe probe;

  public RetransformTimer(long restMillis) {
    this.restMillis = restMillis;
  }

  @Override
  public synchronized void onBatch(int index, List<Class<?>> batch, List<Class<?>> types) {
    endBatch();
    if (index > 0 && restMillis > 0) {
      try {
        Thread.sleep(restMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (probe == null) {
      probe = PauseProbe.start();
    }
    batches++;
    classes += batch.size();
    timing = true;
    probe.reset();
    batchStart = System.nanoTime();
  }

  @Override
  public synchronized Iterable<? extends List<Class<?>>> onError(int index, List<Class<?>> batch, Throwable t,
      List<Class<?>> types) {
    endBatch();
    failedBatches++;
    return Collections.emptyList(); // no retry: the classes keep their old code, their hooks fire when reloaded
  }

  @Override
  public synchronized void onComplete(int amount, List<Class<?>> types, Map<List<Class<?>>, Throwable> failures) {
    endBatch();
    if (probe != null) {
      probe.stop();
    }
  }

  private void endBatch() {
    if (timing) {
      long ns = System.nanoTime() - batchStart;
      longestNs = Math.max(longestNs, ns);
      totalNs += ns;
      longestPauseNs = Math.max(longestPauseNs, probe.settle());
      timing = false;
    }
  }

  /** The longest stop a probe thread felt during a batch (see the class comment). */
  public synchronized long longestPauseNs() {
    return longestPauseNs;
  }

  /** The longest {@code retransformClasses} call, transformation included. */
  public synchronized long longestCallNs() {
    return longestNs;
  }

  public synchronized int classes() {
    return classes;
  }

  public synchronized int batches() {
    return batches;
  }

  /** For the status line, such as {@code retransformed 5 classes in 2 batches; longest pause <= 12.3 ms}. */
  public synchronized String report() {
    if (batches == 0) {
      return "no loaded class needed retransforming (the hooks apply as classes load)";
    }
    return String.format(Locale.ROOT,
        "retransformed %d classes in %d batches; longest pause %.2f ms (longest retransform call %.1f ms, mostly"
            + " transformation while the job runs)%s", classes, batches, longestPauseNs / 1e6, longestNs / 1e6,
        failedBatches > 0 ? "; " + failedBatches + " batches failed" : "");
  }
}
