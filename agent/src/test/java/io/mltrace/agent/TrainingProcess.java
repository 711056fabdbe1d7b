package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A training job started without the agent, in the background, to attach to; or its unattached twin. */
final class TrainingProcess implements AutoCloseable {
  private static final Pattern FINAL_LOSS = Pattern.compile("final loss ([-0-9.eE]+)");

  final Process process;
  final Path javaHome;
  private final Path out;
  private final Path err;

  private TrainingProcess(Process process, Path javaHome, Path out, Path err) {
    this.process = process;
    this.javaHome = javaHome;
    this.out = out;
    this.err = err;
  }

  static TrainingProcess start(Path javaHome, List<String> jvmFlags, String mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaHome.resolve("bin").resolve("java").toString());
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    String extra = ChildJvm.EXTRA_CLASSPATH.get();
    cmd.add(ChildJvm.examplesClasspath() + (extra.isEmpty() ? "" : File.pathSeparator + extra));
    cmd.add(mainClass);
    cmd.addAll(args);
    return launch(cmd, Map.of(), javaHome);
  }

  /** Starts any command line (a JVM, or a shell that execs one) with extra environment variables. */
  static TrainingProcess launch(List<String> cmd, Map<String, String> env, Path javaHome) throws IOException {
    Path out = Files.createTempFile("job-out", ".txt");
    Path err = Files.createTempFile("job-err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().putAll(env);
    return new TrainingProcess(pb.start(), javaHome, out, err);
  }

  long pid() {
    return process.pid();
  }

  /**
   * Waits until the job's main thread runs inside the framework's training code ({@code frame} appears in a
   * {@code jcmd Thread.print}), so that the framework's classes are loaded before the attach.
   */
  void awaitFrame(String frame, long timeoutSeconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the job ended before training started: " + this);
      }
      Process jcmd = new ProcessBuilder(javaHome.resolve("bin").resolve("jcmd").toString(), String.valueOf(pid()),
          "Thread.print").redirectErrorStream(true).start();
      String dump = new String(jcmd.getInputStream().readAllBytes());
      jcmd.waitFor(60, TimeUnit.SECONDS);
      if (dump.contains(frame)) {
        return;
      }
      Thread.sleep(300);
    }
    throw new AssertionError("no frame " + frame + " within " + timeoutSeconds + " s: " + this);
  }

  /** Waits for the end; returns the exit code. */
  int await(long timeoutSeconds) throws InterruptedException {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("job timed out: " + this);
    }
    return process.exitValue();
  }

  String stdout() throws IOException {
    return Files.readString(out);
  }

  String stderr() throws IOException {
    return Files.readString(err);
  }

  /** The value of the {@code final loss} line the job printed. */
  String finalLoss() throws IOException {
    Matcher m = FINAL_LOSS.matcher(stdout());
    if (!m.find()) {
      throw new AssertionError("no final loss line: " + this);
    }
    return m.group(1);
  }

  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
  }

  @Override
  public String toString() {
    try {
      return "job " + pid() + "\n--- stdout\n" + stdout() + "\n--- stderr\n" + stderr();
    } catch (IOException e) {
      return "job " + pid() + " (output unreadable: " + e + ")";
    }
  }
}
