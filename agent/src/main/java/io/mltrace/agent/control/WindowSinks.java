package io.mltrace.agent.control;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The on-demand windows of {@code mltrace trace}: one sink in the collector's list that hands each step to the
 * open window, if any. Opening a window asks {@link DetailControl} to detail the window's steps (whatever the mode);
 * the window closes by itself when it has its steps (or its time is past), or early on {@link #closeOpen}.
 *
 * <p>Lock order: the collector's lock, then this monitor; {@link #closeOpen} reads the collector's stats before
 * taking the monitor, never inside it.
 */
public final class WindowSinks implements StepSink {
  private final DetailControl control;
  private final Function<Path, List<StepSink>> sinkFactory;
  private volatile Supplier<RunStats> stats;
  private volatile TraceWindow open;
  private long lastId;
  /** How many times a window's range went by before the hot path was told of it, and was moved on. */
  private long rearmed;

  /** @param sinkFactory makes a window's sinks (a summary and a trace) writing into the given folder */
  public WindowSinks(DetailControl control, Function<Path, List<StepSink>> sinkFactory) {
    this.control = control;
    this.sinkFactory = sinkFactory;
  }

  /** Where a window's summary gets the collector's counters from (set once the collector exists). */
  public void setStats(Supplier<RunStats> stats) {
    this.stats = stats;
  }

  /**
   * Opens a window of the next {@code steps} steps; throws IllegalStateException when one is open. A
   * {@code memory} window leaves the steps counted and only has them take the creation sites of their tensors.
   */
  public synchronized String openSteps(int steps, Path dir, boolean memory) {
    checkNoneOpen();
    List<StepSink> sinks = sinkFactory.apply(dir); // first: making the writers can take longer than a step
    if (memory) {
      control.memoryWindowOpened(); // before the first step is chosen, so that every step from it on takes sites
    }
    long first = Recorder.stepsClosed() + 2; // the step open now was decided already: start with the next
    TraceWindow w = TraceWindow.ofSteps(++lastId, dir, first, steps, memory, sinks);
    return opened(w, w.detail());
  }

  /** Opens a window of the steps that start within the next {@code nanos} (see {@link #openSteps}). */
  public synchronized String openDuration(long nanos, Path dir, boolean memory) {
    checkNoneOpen();
    List<StepSink> sinks = sinkFactory.apply(dir);
    if (memory) {
      control.memoryWindowOpened();
    }
    long start = System.nanoTime();
    TraceWindow w = TraceWindow.ofDuration(++lastId, dir, start, start + nanos, memory, sinks);
    return opened(w, DetailWindow.time(start, start + nanos));
  }

  private void checkNoneOpen() {
    TraceWindow w = open;
    if (w != null) {
      throw new IllegalStateException("window " + w.id + " (" + w.target() + " into " + w.dir
          + ") is still open; wait for it, or run stop");
    }
  }

  private String opened(TraceWindow w, DetailWindow detail) {
    open = w;
    if (!w.memoryOnly) {
      control.windowOpened(detail);
    }
    AgentStatus.publish(AgentStatus.WINDOW_ID, String.valueOf(w.id));
    AgentStatus.publish(AgentStatus.WINDOW_TARGET, w.target());
    AgentStatus.publish(AgentStatus.WINDOW_OUT, w.dir.toString());
    AgentStatus.publish(AgentStatus.WINDOW_STEPS, "0");
    AgentStatus.publish(AgentStatus.WINDOW_STATE, "open");
    return "window " + w.id + " open: " + w.target() + (w.memoryOnly ? " of creation sites" : "") + " into " + w.dir;
  }

  /** Closes the open window with what it has; returns a description, or null when none was open. */
  public String closeOpen(String state) {
    Supplier<RunStats> s = stats;
    RunStats now = s == null ? null : s.get();
    synchronized (this) {
      TraceWindow w = open;
      if (w == null) {
        return null;
      }
      finish(w, state, now);
      return "window " + w.id + " " + state + " after " + w.taken() + " steps: " + w.dir;
    }
  }

  /** How many times a window's range was moved on because it went by undetailed ({@link TraceWindow#missed}). */
  synchronized long rearmed() {
    return rearmed;
  }

  /** True when an open window asked the recorder to detail this step. Safe from the collector thread. */
  boolean covers(Step step) {
    TraceWindow w = open;
    return w != null && w.covers(step);
  }

  @Override
  public synchronized void onStep(Step step) {
    TraceWindow w = open;
    if (w == null) {
      return;
    }
    w.offer(step);
    AgentStatus.publish(AgentStatus.WINDOW_STEPS, String.valueOf(w.taken()));
    if (w.complete()) {
      Supplier<RunStats> s = stats;
      finish(w, "done", s == null ? null : s.get());
    } else if (w.missed(step)) {
      // The range went by undetailed: the next steps instead (the step open now was decided already).
      control.windowOpened(w.rearm(Recorder.stepsClosed() + 2));
      rearmed++;
    }
  }

  private void finish(TraceWindow w, String state, RunStats now) {
    open = null;
    if (now != null) {
      w.close(now);
    }
    control.windowClosed();
    AgentStatus.publish(AgentStatus.WINDOW_STEPS, String.valueOf(w.taken()));
    AgentStatus.publish(AgentStatus.WINDOW_STATE, state);
  }

  @Override
  public synchronized void flush(RunStats now) {
    TraceWindow w = open;
    if (w != null) {
      w.flush(now);
    }
  }

  @Override
  public void close() {
    closeOpen("incomplete");
  }
}
