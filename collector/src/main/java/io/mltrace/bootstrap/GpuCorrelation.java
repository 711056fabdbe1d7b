package io.mltrace.bootstrap;

/**
 * The gate between the recording hot path and the CUPTI bridge. While GPU tracing is active, every span a thread
 * opens pushes its span id as CUPTI's external correlation id, and closing it pops the id, so each kernel and copy
 * launched inside the span names it. While inactive the cost is one static volatile read per span.
 *
 * <p>Step boundaries call {@link #stepBoundary}: the GPU window controller (sampled steps, on-demand windows)
 * enables and disables collection there, on the training thread, so a window covers whole steps.
 */
public final class GpuCorrelation {
  /** Decides, at each step boundary, whether GPU collection runs during the next step. */
  public interface WindowControl {
    /** Called on the training thread just after step {@code closedStep} ended and the next one opened. */
    void onStepBoundary(long closedStep);
  }

  static volatile boolean active;
  private static volatile WindowControl control;

  private GpuCorrelation() {}

  /** Turns pushing correlation ids on or off; only after {@link GpuNative#load} succeeded may it be on. */
  public static void setActive(boolean on) {
    active = on && GpuNative.isLoaded();
  }

  public static boolean isActive() {
    return active;
  }

  /** Installs (or with null removes) the window controller called at step boundaries. */
  public static void setWindowControl(WindowControl c) {
    control = c;
  }

  static void stepBoundary(long closedStep) {
    WindowControl c = control;
    if (c != null) {
      try {
        c.onStepBoundary(closedStep);
      } catch (Throwable t) {
        // The controller reports its own failures; a training thread never sees one.
      }
    }
  }
}
