package io.mltrace.benchmarks.overhead;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts the jobs' JVMs, and the agent's attach command, and waits for them: the harness's process control. */
final class Launcher {
  private final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
  private final Path agent;
  private final String classpath;
  private final List<String> jvmArgs;
  private final int pinOthers;
  private final int turnSteps;
  final Path work;

  Launcher(HarnessOptions options) throws IOException {
    Path examples = options.root().resolve("examples/target/classpath.txt");
    if (!Files.isRegularFile(examples) || !Files.isRegularFile(options.agentJar())) {
      throw new IllegalStateException("build first (mvn -B -q -DskipTests package): " + examples + " and "
          + options.agentJar() + " are needed");
    }
    this.classpath = options.root().resolve("benchmarks/target/classes") + File.pathSeparator
        + Files.readString(examples).trim();
    this.agent = options.agentJar();
    this.jvmArgs = options.jvmArgs();
    this.pinOthers = options.pinOthers();
    this.turnSteps = options.turnSteps();
    this.work = Files.createTempDirectory("mltrace-overhead");
  }

  Path java() {
    return java;
  }

  Path agent() {
    return agent;
  }

  /** The command line of one run of {@code job} with {@code arm}; in lockstep, the job takes turns. */
  List<String> command(Job job, Arm arm, boolean lockstep) {
    List<String> cmd = new ArrayList<>();
    if (lockstep && pinOthers >= 0) {
      // Every thread starts on that CPU and threads inherit their creator's affinity; LockstepPair then moves the
      // training thread to --pin-cpu. The training thread has a CPU to itself, as on a machine with cores to spare.
      cmd.addAll(List.of("taskset", "-c", String.valueOf(pinOthers)));
    }
    cmd.add(java.toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(arm.jvmArgs());
    cmd.addAll(List.of("-cp", classpath, job.mainClass.getName()));
    cmd.addAll(job.args());
    cmd.addAll(arm.jobArgs());
    if (lockstep) {
      // The data set is cycled: a fixed size keeps two JVMs' memory small however many turns are taken.
      cmd.addAll(List.of("--lockstep", "true", "--data-batches", "500", "--turn-steps", String.valueOf(turnSteps)));
    }
    return cmd;
  }

  /** The DJL MLP job, free-running for {@code steps}, with {@code jvmFlags} first (the attach rows). */
  List<String> freeRunningDjl(List<String> jvmFlags, int steps) {
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", classpath, StepTimeJob.class.getName(), "--steps", String.valueOf(steps)));
    return cmd;
  }

  /** {@code java -jar mltrace-agent.jar attach <pid> [options]}; what it printed. */
  String attach(long pid, List<String> agentOptions) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java.toString(), "-jar", agent.toString(), "attach",
        String.valueOf(pid)));
    cmd.addAll(agentOptions);
    return runToEnd(cmd);
  }

  Process start(List<String> cmd, Path out) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    return pb.start();
  }

  String runToEnd(List<String> cmd) throws Exception {
    Path out = Files.createTempFile(work, "run", ".txt");
    Process p = start(cmd, out);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + cmd);
    }
    return Files.readString(out);
  }
}
