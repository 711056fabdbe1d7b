package io.mltrace.agent.control;

import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.nio.file.Path;
import java.util.List;

/**
 * One on-demand window: either the next {@code n} detailed steps from step {@code first}, or the detailed steps
 * that open within a time range; a memory window takes counted steps that captured their tensors' creation sites. It owns its own sinks (a summary and a trace writing into its folder), so its
 * files cover exactly its steps. Used under the {@link WindowSinks} monitor.
 */
final class TraceWindow {
  /**
   * Steps past the window's count that the hot path also details: slack for the steps that open between the
   * window's first step being chosen and the detail policy being installed, which are counted, not detailed. Once 2:
   * under load the attaching thread waited that long for 3 such steps, and a window of 8 took 7 and then nothing
   * until its job ended (`DjlMemoryLeakIT` in the suite); 16 and a job of 3,000 steps a second later took none.
   * A window details at most its count plus this many steps per range; a range that went by is moved on
   * ({@link #missed}, {@link #rearm}).
   */
  static final int SLACK_STEPS = 16;

  final long id;
  final Path dir;
  /** The window's range of step numbers, [firstStep, lastStep]; moved on by {@link #rearm}. Read by the collector. */
  private volatile long firstStep;
  private volatile long lastStep;
  final int wantedSteps;
  final long startNanos;
  final long endNanos;
  /** A memory window: its steps are counted ones that took creation sites, not detailed ones. */
  final boolean memoryOnly;
  private final List<StepSink> sinks;
  private int taken;
  private boolean past;

  private TraceWindow(long id, Path dir, long firstStep, int wantedSteps, long startNanos, long endNanos,
      boolean memoryOnly, List<StepSink> sinks) {
    this.id = id;
    this.dir = dir;
    this.firstStep = firstStep;
    this.lastStep = wantedSteps > 0 ? firstStep + wantedSteps + SLACK_STEPS - 1 : Long.MIN_VALUE;
    this.wantedSteps = wantedSteps;
    this.startNanos = startNanos;
    this.endNanos = endNanos;
    this.memoryOnly = memoryOnly;
    this.sinks = sinks;
  }

  static TraceWindow ofSteps(long id, Path dir, long firstStep, int steps, boolean memoryOnly,
      List<StepSink> sinks) {
    return new TraceWindow(id, dir, firstStep, steps, Long.MAX_VALUE, Long.MIN_VALUE, memoryOnly, sinks);
  }

  static TraceWindow ofDuration(long id, Path dir, long startNanos, long endNanos, boolean memoryOnly,
      List<StepSink> sinks) {
    return new TraceWindow(id, dir, Long.MAX_VALUE, 0, startNanos, endNanos, memoryOnly, sinks);
  }

  boolean bySteps() {
    return wantedSteps > 0;
  }

  /** True when the hot path was told to detail this step (or, in a memory window, take its sites) for the window. */
  boolean covers(Step step) {
    if (bySteps()) {
      return step.number() >= firstStep && step.number() <= lastStep;
    }
    return step.startNs() >= startNanos && step.startNs() < endNanos;
  }

  /** Takes the step when it belongs to the window (detailed unless a memory window, in range, room left). */
  void offer(Step step) {
    if (complete()) {
      return;
    }
    if (!bySteps() && step.startNs() >= endNanos) {
      past = true;
      return;
    }
    if (!(memoryOnly || step.detailed()) || !covers(step)) {
      return;
    }
    taken++;
    for (StepSink s : sinks) {
      try {
        s.onStep(step);
      } catch (Throwable t) {
        // A window's writer failing must not reach the collector; its file says what it got.
      }
    }
  }

  /** The detail range the hot path is told for this window (by steps). */
  DetailWindow detail() {
    return DetailWindow.steps(firstStep, lastStep);
  }

  /**
   * True when {@code step} comes after the window's range while the window still lacks steps: the range went by
   * before the hot path was told of it (a fast job: the slack is 16 steps, a few milliseconds at thousands of steps a
   * second, and the attaching thread can be descheduled longer than that), and without a new range the window would
   * wait for steps that never come, until its job ends. A memory window's steps are never missed (its sites are
   * taken from before its range is chosen).
   */
  boolean missed(Step step) {
    return bySteps() && !memoryOnly && !complete() && step.number() > lastStep;
  }

  /** Moves the range on to the steps from {@code first}, for the steps the window still lacks (and the slack). */
  DetailWindow rearm(long first) {
    firstStep = first;
    lastStep = first + (wantedSteps - taken) + SLACK_STEPS - 1;
    return detail();
  }

  boolean complete() {
    return bySteps() ? taken >= wantedSteps : past;
  }

  int taken() {
    return taken;
  }

  String target() {
    return bySteps() ? wantedSteps + " steps" : String.format(java.util.Locale.ROOT, "%.3g s",
        (endNanos - startNanos) / 1e9);
  }

  void flush(RunStats stats) {
    for (StepSink s : sinks) {
      try {
        s.flush(stats);
      } catch (Throwable t) {
        // see offer
      }
    }
  }

  void close(RunStats stats) {
    flush(stats);
    for (StepSink s : sinks) {
      try {
        s.close();
      } catch (Throwable t) {
        // see offer
      }
    }
  }
}
