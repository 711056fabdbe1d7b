package io.mltrace.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the command line ({@code java -jar mltrace-agent.jar ...}) with a given JDK and captures what it printed. */
final class Cli {
  final int exitCode;
  final String stdout;
  final String stderr;

  private Cli(int exitCode, String stdout, String stderr) {
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  static Cli run(Path javaHome, String... args) throws IOException, InterruptedException {
    return run(Map.of(), javaHome, args);
  }

  /** As {@link #run(Path, String...)} with {@code env} added to the command's environment. */
  static Cli run(Map<String, String> env, Path javaHome, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaHome.resolve("bin").resolve("java").toString());
    cmd.add("-jar");
    cmd.add(ChildJvm.AGENT_JAR.toAbsolutePath().toString());
    cmd.addAll(List.of(args));
    ChildJvm run = ChildJvm.execute(cmd, env, "command line");
    return new Cli(run.exitCode, run.stdout, run.stderr);
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
  }
}
