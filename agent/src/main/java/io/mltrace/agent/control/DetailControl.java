package io.mltrace.agent.control;

import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.TensorLife;
import java.io.PrintStream;

/**
 * The one owner of the recorder's detail switches: the only class that installs a
 * {@link io.mltrace.bootstrap.SamplingPolicy}. A reconfiguration ({@link #configure}), the overhead guard
 * ({@link #lowerForOverhead}), an on-demand window ({@link #windowOpened}/{@link #windowClosed}) and {@code stop}
 * all go through here, and each installs one whole policy, so the recorder never sees half of a change.
 * Thread-safe.
 */
public final class DetailControl {
  private final PrintStream err;
  private volatile DetailPolicy policy = DetailPolicy.off();
  /** The open on-demand window, or null. */
  private DetailWindow window;
  private int guardActions;
  private volatile String guardReport = "within budget";
  /** {@link System#nanoTime} when the recorder's switches last changed: steps opened before ran under older ones. */
  private volatile long appliedAtNanos = Long.MIN_VALUE;

  public DetailControl(PrintStream err) {
    this.err = err;
  }

  /** Replaces the policy (a start or a reconfiguration); the guard's earlier lowering is forgotten. */
  public synchronized void configure(DetailPolicy next) {
    policy = next;
    guardActions = 0;
    guardReport = "within budget";
    apply();
  }

  public DetailPolicy policy() {
    return policy;
  }

  /**
   * Called by the guard when the hot path's share of step time passed the budget: moves one step down the
   * {@link DetailPolicy#lowered()} ladder and reports it on one stderr line. Returns false at the floor.
   */
  synchronized boolean lowerForOverhead(String measured) {
    DetailPolicy lower = policy.lowered();
    if (lower == null) {
      if (!guardReport.startsWith("at the floor")) {
        guardReport = "at the floor: " + measured + "; nothing cheaper keeps the counters";
        err.println("mltrace: overhead guard: " + guardReport);
        publish();
      }
      return false;
    }
    policy = lower;
    guardActions++;
    guardReport = "lowered " + guardActions + "x: " + measured + "; now " + lower.describe();
    err.println("mltrace: overhead guard: " + measured + "; detail lowered to " + lower.describe());
    apply();
    return true;
  }

  public String guardReport() {
    return guardReport;
  }

  /** Details the window's steps from now on, whatever the policy (one window at a time: the newest wins). */
  synchronized void windowOpened(DetailWindow opened) {
    window = opened;
    TensorLife.captureSitesUntil(Long.MAX_VALUE); // a window's steps name where their tensors were created
    apply();
  }

  /**
   * A memory window: every step from now on takes the creation sites of its tensors, but stays counted (no
   * detail, so a job pays a stack walk per tensor and nothing else). Closed by {@link #windowClosed}.
   */
  synchronized void memoryWindowOpened() {
    TensorLife.captureSitesUntil(Long.MAX_VALUE);
  }

  synchronized void windowClosed() {
    window = null;
    TensorLife.captureSitesUntil(Long.MIN_VALUE);
    apply();
  }

  private void apply() {
    Sampling.install(policy.toSampling(window));
    appliedAtNanos = System.nanoTime();
    publish();
  }

  /**
   * When the switches last changed ({@link System#nanoTime}). A step that opened earlier took its sampling decision
   * under the previous switches; the overhead guard leaves such steps out, or it would judge a policy by steps
   * recorded before it applied (the collector hands steps over up to seconds late, while it waits for JVM events).
   */
  public long appliedAtNanos() {
    return appliedAtNanos;
  }

  private void publish() {
    AgentStatus.publish(AgentStatus.MODE, policy.mode().key());
    AgentStatus.publish(AgentStatus.DETAIL, policy.describe());
    AgentStatus.publish(AgentStatus.GUARD, guardReport);
  }
}
