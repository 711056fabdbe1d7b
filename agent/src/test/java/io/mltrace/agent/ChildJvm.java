package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an example main class in a child JVM, optionally with the agent, and captures what it printed. */
final class ChildJvm {
  static final Path AGENT_JAR = Paths.get(System.getProperty("mltrace.agent.jar", "target/mltrace-agent.jar"));
  static final Path EXAMPLES = Paths.get(System.getProperty("mltrace.examples.dir", "../examples/target"));

  final int exitCode;
  final String stdout;
  final String stderr;
  /** The wall clock (epoch ms) when the test saw the process end. */
  final long exitedAtMillis;

  private ChildJvm(int exitCode, String stdout, String stderr) {
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
    this.exitedAtMillis = System.currentTimeMillis();
  }

  static String examplesClasspath() throws IOException {
    String deps = Files.readString(EXAMPLES.resolve("classpath.txt"), StandardCharsets.UTF_8).trim();
    return EXAMPLES.resolve("classes") + File.pathSeparator + deps;
  }

  /**
   * @param agentArgs null: no agent; otherwise the text after {@code =} in {@code -javaagent:jar=}
   */
  /** Environment variables added to the children this thread starts (set by a test, cleared after it). */
  static final ThreadLocal<java.util.Map<String, String>> EXTRA_ENV =
      ThreadLocal.withInitial(java.util.HashMap::new);

  /** The JDK of the children this thread starts (set by a test, cleared after); by default the test's own. */
  static final ThreadLocal<Path> JAVA_HOME =
      ThreadLocal.withInitial(() -> Paths.get(System.getProperty("java.home")));

  /** A class path appended to the examples' for the children this thread starts (set by a test, cleared after). */
  static final ThreadLocal<String> EXTRA_CLASSPATH = ThreadLocal.withInitial(() -> "");

  /**
   * The class path a child JVM needs to drive the fake libcupti: this module's test classes (the fake training
   * jobs) and the collector's test jar, which holds the one {@code io.mltrace.gpu.FakeCupti}.
   */
  static String gpuTestClasspath() {
    String fakeCupti;
    try {
      fakeCupti = Paths.get(io.mltrace.gpu.FakeCupti.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return Paths.get("target", "test-classes").toAbsolutePath() + File.pathSeparator + fakeCupti;
  }

  static ChildJvm run(String agentArgs, List<String> jvmArgs, String mainClass, String... args)
      throws IOException, InterruptedException {
    return runWithClasspath(agentArgs, jvmArgs, examplesClasspath(), mainClass, args);
  }

  /** As {@link #run}, with the class path given (for a class path that differs from the examples' one). */
  static ChildJvm runWithClasspath(String agentArgs, List<String> jvmArgs, String classpath, String mainClass,
      String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(JAVA_HOME.get().resolve("bin").resolve("java").toString());
    cmd.add("-Xshare:auto");
    if (agentArgs != null) {
      cmd.add("-javaagent:" + AGENT_JAR.toAbsolutePath() + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
    }
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    String extra = EXTRA_CLASSPATH.get();
    cmd.add(classpath + (extra.isEmpty() ? "" : File.pathSeparator + extra));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    Map<String, String> env = new HashMap<>(EXTRA_ENV.get());
    env.putIfAbsent("OMP_NUM_THREADS", "1");
    return execute(cmd, env, "child JVM");
  }

  /**
   * Runs a command with extra environment variables, waits at most 180 s, and returns its exit code and output
   * (shared by the child-JVM and command-line test helpers).
   */
  static ChildJvm execute(List<String> cmd, Map<String, String> env, String what)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("child-out", ".txt");
    Path err = Files.createTempFile("child-err", ".txt");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(what + " timed out: " + cmd + "\n" + Files.readString(err));
      }
      return new ChildJvm(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
  }
}
