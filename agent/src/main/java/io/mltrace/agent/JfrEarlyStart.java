package io.mltrace.agent;

import java.util.Map;

/**
 * Starts JFR's own initialization ({@code FlightRecorder.getFlightRecorder()}: 0.35-0.45 s of metadata, the JDK's
 * event classes, its recorder thread) on a daemon thread as the first thing premain does, before the options are
 * read, when nothing names {@code jvm_events} (its default is on). At launch the first steps wait for JFR to record
 * ({@code StepGate}); with premain at 0.15 s, a DJL job reached its first step before JFR and waited 0.1-0.2 s in 5
 * of 8 runs (issue 22). JFR's initialization takes no option of the agent's: the stream that {@code JfrSource} makes
 * later finds it done or waits for it. Whoever names {@code jvm_events} (on or off; a plain substring test, so
 * {@code jvm_events_min_free_mb} counts too, which only costs the early start) gets the start after the options, as
 * before.
 *
 * <p>References nothing outside {@code java.base} (the runtime may lack the {@code jdk.jfr} module): JFR is reached
 * by name, and any failure leaves the start to {@code JfrSource}, which reports it.
 */
final class JfrEarlyStart {
  private JfrEarlyStart() {}

  /** Starts JFR's initialization beside premain unless {@code jvm_events} is named anywhere; never throws. */
  static void unlessJvmEventsNamed(String agentArgs, Map<String, String> env) {
    try {
      if (jvmEventsNamed(agentArgs, System.getProperty("mltrace.jvm_events"), env.get("MLTRACE_JVM_EVENTS"))) {
        return;
      }
      Thread t = new Thread(JfrEarlyStart::initialize, "mltrace-jfr-init");
      t.setDaemon(true);
      t.start();
    } catch (Throwable t) {
      // JfrSource starts JFR as before.
    }
  }

  /** Whether the agent's arguments, a system property or the environment name {@code jvm_events}. */
  static boolean jvmEventsNamed(String agentArgs, String property, String env) {
    return agentArgs != null && agentArgs.contains("jvm_events") || property != null || env != null;
  }

  private static void initialize() {
    try {
      Class.forName("jdk.jfr.FlightRecorder").getMethod("getFlightRecorder").invoke(null);
      StartupLog.mark("JFR initialized (started before the options)");
    } catch (Throwable t) {
      // No JFR here, or it refused: JfrSource tries again and says so on one line.
    }
  }
}
