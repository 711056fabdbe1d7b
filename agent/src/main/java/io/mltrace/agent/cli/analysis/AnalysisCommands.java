package io.mltrace.agent.cli.analysis;

import io.mltrace.agent.cli.ExitCodes;
import java.io.PrintStream;
import java.util.List;

/** The entry of the command line's analysis commands: {@code diff}, {@code check}, {@code analyze}, {@code cluster}. */
public final class AnalysisCommands {
  public static final List<String> COMMANDS = List.of("diff", "check", "analyze", "cluster");

  private AnalysisCommands() {}

  /** Runs {@code command}; returns its exit code, never throws. */
  public static int run(String command, List<String> args, PrintStream out, PrintStream err) {
    try {
      switch (command) {
        case "diff": return DiffCommand.run(args, out, err);
        case "check": return CheckCommand.run(args, out, err);
        case "analyze": return AnalyzeCommand.run(args, out, err);
        case "cluster": return ClusterCommand.run(args, out, err);
        default:
          err.println("mltrace: unknown analysis command '" + command + "'");
          return ExitCodes.USAGE;
      }
    } catch (RuntimeException e) {
      err.println("mltrace " + command + ": " + e);
      return ExitCodes.USAGE;
    }
  }
}
