package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts an example job with the agent in the background, with the environment, umask and shell limits a fault or
 * security test needs (what {@link ChildJvm} does not set), so the test can watch it while it runs.
 */
final class JobRun {
  private JobRun() {}

  /**
   * @param agentArgs null: no agent
   * @param shellPrefix shell commands run before the JVM replaces the shell ({@code umask 027}, {@code ulimit -f
   *     64}); empty: none
   */
  static TrainingProcess start(String agentArgs, List<String> jvmFlags, Map<String, String> env, String shellPrefix,
      String mainClass, String... args) throws IOException {
    Path javaHome = Paths.get(System.getProperty("java.home"));
    List<String> cmd = new ArrayList<>();
    if (!shellPrefix.isEmpty()) {
      cmd.addAll(List.of("/bin/sh", "-c", shellPrefix + "; exec \"$0\" \"$@\""));
    }
    cmd.add(javaHome.resolve("bin").resolve("java").toString());
    if (agentArgs != null) {
      cmd.add("-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath() + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
    }
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    // The test classes too: jobs written for a test (ParallelDl4jTraining) live there.
    String extra = ChildJvm.EXTRA_CLASSPATH.get();
    cmd.add(ChildJvm.examplesClasspath() + File.pathSeparator + Paths.get(System.getProperty("mltrace.test.classes",
        "target/test-classes")).toAbsolutePath() + (extra.isEmpty() ? "" : File.pathSeparator + extra));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return TrainingProcess.launch(cmd, env, javaHome);
  }
}
