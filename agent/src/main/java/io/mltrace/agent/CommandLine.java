package io.mltrace.agent;

import io.mltrace.agent.cli.ExitCodes;
import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar mltrace-agent.jar <command>} (also {@code ./mltrace <command>}): {@code list}, {@code attach},
 * {@code trace}, {@code status}, {@code stop}, {@code diff}, {@code check}, {@code analyze}, {@code version}, {@code help}. The attach commands live in
 * {@code cli.attach}, the only code that needs the {@code jdk.attach} module; it is loaded only when one runs.
 */
final class CommandLine {
  static final List<String> ATTACH_COMMANDS = List.of("list", "attach", "trace", "status", "stop");

  private CommandLine() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 ? "help" : args[0];
    switch (command) {
      case "version":
      case "--version":
        out.println("mltrace " + version());
        return ExitCodes.OK;
      case "help":
      case "--help":
      case "-h":
        out.println(usage());
        return ExitCodes.OK;
      default:
        if (io.mltrace.agent.cli.analysis.AnalysisCommands.COMMANDS.contains(command)) {
          return io.mltrace.agent.cli.analysis.AnalysisCommands.run(command,
              Arrays.asList(args).subList(1, args.length), out, err);
        }
        if (ATTACH_COMMANDS.contains(command)) {
          return attachCommand(command, Arrays.asList(args).subList(1, args.length), out, err);
        }
        err.println("mltrace: unknown command '" + command + "'");
        err.println(usage());
        return ExitCodes.USAGE;
    }
  }

  private static int attachCommand(String command, List<String> rest, PrintStream out, PrintStream err) {
    if (command.equals("attach")) {
      // Checked here, before anything reaches the target: a bad option is the caller's mistake, said on one line
      // each and refused (exit 2), instead of coming back as the agent's answer.
      List<String> problems = new ArrayList<>();
      for (String pair : rest.subList(Math.min(1, rest.size()), rest.size())) {
        if (pair.contains("=") && !pair.contains(",")) { // any other shape: Commands says what it must be
          problems.addAll(AgentOptions.parse(pair, Map.of(), Map.of()).problems());
        }
      }
      if (!problems.isEmpty()) {
        problems.forEach(err::println);
        return ExitCodes.USAGE;
      }
    }
    String jar;
    try {
      File self = new File(MltraceAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      jar = self.getAbsolutePath();
    } catch (Exception e) {
      err.println("mltrace: cannot locate the agent jar: " + e);
      return ExitCodes.REFUSED;
    }
    try {
      return new io.mltrace.agent.cli.attach.Commands(jar, out, err).run(command, rest);
    } catch (NoClassDefFoundError e) {
      err.println("mltrace: this Java runtime has no jdk.attach module (the Attach API); run the command with a"
          + " full JDK: " + e.getMessage());
      return ExitCodes.REFUSED; // a Java runtime without the jdk.attach module
    }
  }

  static String usage() {
    return String.join(System.lineSeparator(),
        "mltrace " + version() + ": where every millisecond of a JVM training step goes.",
        "usage:",
        "  java -javaagent:mltrace-agent.jar[=key=value,...] -cp <your classpath> <main class>",
        "  java -jar mltrace-agent.jar <command>   (or ./mltrace <command>)",
        "commands:",
        "  list                               JVMs of this user; whether mltrace is loaded, its version and mode",
        "  attach <pid> [key=value ...]       load the agent into a running JVM (default: console=off);"
            + " if loaded, reconfigure it",
        "  attach --app <app-id> [--hosts h1,h2,...] [key=value ...]",
        "                                     the same in every local JVM with --app-id <app-id> (a Spark"
            + " application's executors); --hosts: on each host through ssh (MLTRACE_SSH)",
        "  trace <pid> --steps N | --duration D [--memory] [--out DIR] [--timeout D]",
        "                                     a detailed window; shows progress, then where trace.json and"
            + " summary.json are",
        "  status <pid>                       mode, sampling, overhead guard, attach pause, window",
        "  stop <pid>                         end detailed tracing; the agent returns to mode=off",
        "  diff A B [--out DIR] [--warmup N]   what changed from run A to run B (output folders or summary.json),",
        "                                     tested against the runs' step-to-step noise; writes diff.json, diff.html",
        "  check RUN [--baseline RUN] [--bounds FILE] ['data <= 10%' 'step_p95 <= 1.2x' 'gflops >= 5' ...]",
        "                                     a CI gate: exit 1 and one line per violated bound",
        "  analyze DIR [--doc FILE]           case-study runs: measured FLOPs against the analytic models",
        "  cluster DIR... [--out DIR] [--warmup N]  a cluster job's workers (their output folders) as one picture:",
        "                                     per-worker breakdown, per step the straggler and why; summary.json,",
        "                                     trace.json (a process per worker), report.html",
        "  version | help",
        "exit codes: 0 ok, 1 the agent refused the command (check: a bound is violated), 2 usage, 3 no such JVM, 4 another user's process,",
        "  5 the JVM refused the attach or the agent, 6 mltrace not loaded, 7 trace window incomplete",
        "JDK 21+: attaching prints a dynamic-agent warning in the target unless it runs with"
            + " -XX:+EnableDynamicAgentLoading (JEP 451)",
        "options: " + String.join(", ", AgentOptions.KEYS));
  }

  static String version() {
    String v = CommandLine.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
