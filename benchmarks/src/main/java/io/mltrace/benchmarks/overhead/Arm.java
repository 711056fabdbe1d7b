package io.mltrace.benchmarks.overhead;

import java.nio.file.Path;
import java.util.List;

/**
 * What one JVM of a pair runs besides the job: an agent, a profiler, flags or job options that turn on a
 * framework's own profiler. Typed, so that a comparison never carries a jar or a profiler inside an options string.
 *
 * @param name the arm's name in tables and file names
 * @param shown how a table shows the arm (the options, with temporary paths as {@code <tmp>})
 * @param jvmArgs JVM arguments the arm adds ({@code -javaagent:...}, {@code -XX:StartFlightRecording=...})
 * @param jobArgs job arguments the arm adds (a framework profiler the job itself turns on)
 * @param output where the arm writes (a file or a folder; {@code null}: nowhere), measured after the run
 * @param sees what a user of the arm can see, for the peers table
 */
record Arm(String name, String shown, List<String> jvmArgs, List<String> jobArgs, Path output, String sees) {
  Arm {
    jvmArgs = List.copyOf(jvmArgs);
    jobArgs = List.copyOf(jobArgs);
  }

  /** No agent and no profiler: side B of every comparison but {@code jfr} and the builds compared. */
  static Arm none() {
    return new Arm("none", "no agent", List.of(), List.of(), null, "step times only (the job's own clock)");
  }

  /**
   * The mltrace agent from {@code jar} with {@code options} (which name {@code output}); {@code otherBuild} adds the
   * jar's file name to how the arm is shown.
   */
  static Arm mltrace(String name, Path jar, boolean otherBuild, String options, Path output, String sees) {
    String shown = "`" + options.replaceAll("output=[^,]*", "output=<tmp>") + "`"
        + (otherBuild ? " (agent " + jar.getFileName() + ")" : "");
    return new Arm(name, shown, List.of("-javaagent:" + jar + "=" + options), List.of(), output, sees);
  }

  boolean isNone() {
    return jvmArgs.isEmpty() && jobArgs.isEmpty();
  }
}
