package io.mltrace.agent.control;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.Locale;

/**
 * Estimates the agent's own hot-path time per step and lowers detail when its share of step time passes a budget.
 *
 * <p>Why an estimate: timing every hook call would double the hot path's cost. Instead the cost of one call is
 * measured once at start ({@code Recorder.calibrate}: a recorded op, a counted op), and each step's cost is
 * calls × cost: its recorded spans, its counted ops, and its phases (learnt from detailed steps). Every
 * {@link #STEPS_PER_CHECK} steps the share is compared with the budget; past it, {@link DetailControl} moves one step
 * down its ladder and says so on stderr. Steps of an on-demand window are not counted: their detail was asked for.
 * Nor are steps that opened before the policy last changed ({@link DetailControl#appliedAtNanos}): steps reach the
 * guard up to seconds after they ran, and judging a lowered policy by steps recorded under the previous one walked
 * the whole ladder down within a second. Runs on the collector thread.
 */
public final class OverheadGuard implements StepSink {
  static final int STEPS_PER_CHECK = 50;

  private final DetailControl control;
  private final WindowSinks windows;
  private final double budgetFraction;
  // Conservative until calibrated: an interpreted hot path on a slow machine.
  private volatile double recordNs = 200;
  private volatile double countNs = 100;
  private long phasesPerStep = 4;
  private double cost;
  private long wall;
  private int steps;
  private double lastShare = -1;

  /** @param budgetPercent the share of step time the hot path may take, in percent; 0 turns the guard off */
  public OverheadGuard(DetailControl control, WindowSinks windows, double budgetPercent) {
    this.control = control;
    this.windows = windows;
    this.budgetFraction = budgetPercent / 100.0;
  }

  /** Sets the calibrated cost of one hook call: recorded in a detailed step, and only counted. */
  public void setCosts(double recordedNs, double countedNs) {
    this.recordNs = recordedNs;
    this.countNs = countedNs;
  }

  @Override
  public void onStep(Step step) {
    if (windows.covers(step) || step.startNs() < control.appliedAtNanos()) {
      return;
    }
    long spans = step.spans().size();
    if (step.detailed() && spans > 0) {
      long phases = 0;
      for (Span s : step.spans()) {
        if (!Kind.isOp(s.kind())) {
          phases++;
        }
      }
      phasesPerStep = phases;
    }
    long calls = Math.max(spans, step.opCount() + phasesPerStep);
    cost += (spans + 1) * recordNs + (calls - spans) * countNs;
    wall += step.wallNs();
    if (++steps >= STEPS_PER_CHECK) {
      check();
    }
  }

  private void check() {
    double share = wall > 0 ? cost / wall : 0;
    lastShare = share;
    String measured = String.format(Locale.ROOT, "hot path at %.3f%% of step time over the last %d steps (budget %s%%)",
        share * 100, steps, budgetText());
    AgentStatus.publish(AgentStatus.OVERHEAD, measured);
    // What `status` reads is published, not asked for (it reads the JVM's properties without loading the agent):
    // without this the step count stayed at the last command's.
    AgentStatus.publish(AgentStatus.STEPS, String.valueOf(Recorder.stepsClosed()));
    if (budgetFraction > 0 && share > budgetFraction) {
      control.lowerForOverhead(measured);
    }
    cost = 0;
    wall = 0;
    steps = 0;
  }

  private String budgetText() {
    return budgetFraction > 0 ? String.format(Locale.ROOT, "%.3g", budgetFraction * 100) : "off: 0";
  }

  /** The share measured at the last check (a fraction), or -1 before the first. */
  public double lastShare() {
    return lastShare;
  }
}
