package io.mltrace.agent;

import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.jfr.JfrSource;
import java.util.List;
import java.util.function.Supplier;

/**
 * JVM events whose JFR stream starts on a background thread ({@code mltrace-jfr-start}), so that {@code premain}
 * does not wait for JFR's own start-up (a few hundred milliseconds) before the application's main runs. Until the
 * stream runs, nothing is complete: a step that closes meanwhile waits for it like for any late delivery. When JFR
 * cannot start, one line says so and the source reports itself complete (the steps go out without JVM events).
 */
final class BackgroundJvmEvents implements ActivitySource {
  private final long requestedAt = System.nanoTime();
  private volatile JfrSource source;
  private volatile boolean failed;

  private BackgroundJvmEvents() {}

  static BackgroundJvmEvents start(Supplier<JfrSource> start) {
    BackgroundJvmEvents events = new BackgroundJvmEvents();
    Thread t = new Thread(() -> {
      try {
        events.source = start.get();
        StartupLog.mark("JFR stream started");
      } catch (Throwable e) {
        System.err.println("mltrace: JVM events unavailable (" + e + "); continuing without gc/jit_safepoint/idle");
        events.failed = true;
      }
    }, "mltrace-jfr-start");
    t.setDaemon(true);
    t.start();
    return events;
  }

  @Override
  public String name() {
    return "jfr";
  }

  @Override
  public void drainTo(List<ExternalActivity> out) {
    JfrSource s = source;
    if (s != null) {
      s.drainTo(out);
    }
  }

  @Override
  public long completeUpToNs() {
    JfrSource s = source;
    if (s != null) {
      return s.completeUpToNs();
    }
    return failed ? Long.MAX_VALUE : requestedAt;
  }

  /** {@link JfrSource#finish()} once the stream runs; false before (nothing was recorded yet to read). */
  boolean finish() {
    JfrSource s = source;
    return s != null && s.finish();
  }

  @Override
  public void close() {
    JfrSource s = source;
    if (s != null) {
      s.close();
    }
    failed = true;
  }
}
