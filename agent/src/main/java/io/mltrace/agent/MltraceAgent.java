package io.mltrace.agent;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points: {@code premain} (launch), {@code agentmain} (dynamic attach) and {@code main} (the
 * command line). Each does the minimum, catches {@link Throwable} and prints one line on failure: the application
 * always runs on.
 *
 * <p>This class references nothing outside {@code java.base} and this package's {@link BootstrapJar},
 * {@link StartupLog} and {@link JfrEarlyStart} directly;
 * the runtime is loaded by name after the bridge is on the bootstrap path.
 */
public final class MltraceAgent {
  private static volatile boolean started;

  private MltraceAgent() {}

  public static void premain(String args, Instrumentation inst) {
    StartupLog.begin();
    JfrEarlyStart.unlessJvmEventsNamed(args, System.getenv()); // the longest wait of a launch, begun first
    start(args, inst, false);
  }

  /** Dynamic attach; also every later command of the command line ({@code trace}, {@code status}, ...). */
  public static void agentmain(String args, Instrumentation inst) {
    start(args, inst, true);
  }

  private static synchronized void start(String args, Instrumentation inst, boolean attached) {
    try {
      if (started) {
        // A second attach or a command-line call: reconfigure the running agent, never install twice.
        Class.forName("io.mltrace.agent.AgentRuntime").getMethod("command", String.class).invoke(null, args);
        return;
      }
      started = true;
      BootstrapJar.append(inst, args);
      StartupLog.mark("bridge on the bootstrap path (" + BootstrapJar.origin() + ")");
      Class.forName("io.mltrace.agent.AgentRuntime")
          .getMethod("start", String.class, Instrumentation.class, boolean.class)
          .invoke(null, args, inst, attached);
    } catch (Throwable t) {
      Throwable cause = t instanceof java.lang.reflect.InvocationTargetException ? t.getCause() : t;
      System.err.println("mltrace: agent disabled: " + cause);
    }
  }

  public static void main(String[] args) {
    System.exit(CommandLine.run(args, System.out, System.err));
  }
}
