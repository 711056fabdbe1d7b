package io.mltrace.agent;

import java.io.PrintStream;

/** {@code java -jar mltrace-agent.jar ...}: today only {@code version} and {@code help}. */
final class CommandLine {
  static final int OK = 0;
  static final int USAGE = 2;

  private CommandLine() {}

  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 ? "help" : args[0];
    switch (command) {
      case "version":
      case "--version":
        out.println("mltrace " + version());
        return OK;
      case "help":
      case "--help":
      case "-h":
        out.println(usage());
        return OK;
      default:
        err.println("mltrace: unknown command '" + command + "'");
        err.println(usage());
        return USAGE;
    }
  }

  static String usage() {
    return String.join(System.lineSeparator(),
        "mltrace " + version() + ": where every millisecond of a JVM training step goes.",
        "usage:",
        "  java -javaagent:mltrace-agent.jar[=key=value,...] -cp <your classpath> <main class>",
        "  java -jar mltrace-agent.jar version | help",
        "options: " + String.join(", ", AgentOptions.KEYS));
  }

  static String version() {
    String v = CommandLine.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
