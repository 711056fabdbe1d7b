package io.mltrace.bootstrap;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Per-hook failure state, reachable from inlined advice: a hook whose advice keeps throwing turns itself off.
 *
 * <p>The installer registers each hook ({@link #register}) and compiles every advice with an exception handler
 * that calls {@link #failed} instead of swallowing the throwable silently (no exception ever reaches the
 * framework: the handler runs inside the advice's own catch block). After {@link #FAILURES_BEFORE_OFF} failures
 * the hook is marked off and one line says so on stderr; from then on its enter advice asks {@link #isOff} first
 * and does nothing, so its exit advice receives no recorder and does nothing either.
 *
 * <p>{@link #isOff} is on every advised call: it is one plain array read. The flag is written once, without a
 * fence; a thread may see it a little late, which costs a few more failures that are counted and dropped.
 */
public final class HookHealth {
  /** Failures of one hook before it is turned off: a few, so that a one-off fault does not cost a hook. */
  public static final int FAILURES_BEFORE_OFF = 10;
  /** Hook ids beyond this are never turned off (a user can name thousands of custom span methods). */
  static final int MAX_HOOKS = 4096;

  private static final boolean[] OFF = new boolean[MAX_HOOKS];
  private static final AtomicIntegerArray FAILURES = new AtomicIntegerArray(MAX_HOOKS);
  private static final String[] LABELS = new String[MAX_HOOKS];
  private static int registered;

  private HookHealth() {}

  /** A new hook id for {@code label} (for example {@code djl hook ai.djl.training.Trainer.forward}). */
  public static synchronized int register(String label) {
    if (registered >= MAX_HOOKS) {
      return -1;
    }
    LABELS[registered] = label;
    return registered++;
  }

  /** True once the hook has failed too often; its advice then does nothing. */
  public static boolean isOff(int hook) {
    return hook >= 0 && OFF[hook];
  }

  /** Called by the advice's exception handler: counts the failure; turns the hook off at the threshold. */
  public static void failed(Throwable failure, int hook) {
    try {
      if (hook < 0) {
        return;
      }
      if (FAILURES.incrementAndGet(hook) == FAILURES_BEFORE_OFF) {
        OFF[hook] = true;
        System.err.println("mltrace: " + LABELS[hook] + " turned off after " + FAILURES_BEFORE_OFF
            + " failures; the job goes on without it (last: " + failure + ")");
      }
    } catch (Throwable ignored) {
      // Nothing from here may reach the instrumented method.
    }
  }

  /** How many times the hook's advice failed (for tests and the summary). */
  public static int failures(int hook) {
    return hook < 0 ? 0 : FAILURES.get(hook);
  }
}
