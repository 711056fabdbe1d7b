package io.mltrace.benchmarks.overhead;

import java.nio.file.Path;
import java.util.List;

/**
 * The harness's command line ({@link OverheadHarness} lists the options).
 *
 * @param agentB another build's agent jar ({@code --agent-b}), or {@code null}
 * @param writeDoc the Markdown file whose peers section {@code --method peers} rewrites ({@code --write-doc}), or
 *     {@code null}
 */
record HarnessOptions(Method method, int pairs, int steps, int warmup, int warmupAfter, int attachRuns,
    List<String> modes, List<Job> jobs, List<String> jvmArgs, int pinCpu, int pinOthers, int turnSteps,
    int sampleEvery, Path agentB, Path root, List<Peer> arms, Path writeDoc) {

  /** How the pairs of a comparison are run. */
  enum Method {
    LOCKSTEP("lockstep"), SEQUENTIAL("sequential"), ATTACH_DID("attach-did"), PEERS("peers");

    final String cliName;

    Method(String cliName) {
      this.cliName = cliName;
    }

    static Method named(String name) {
      for (Method m : values()) {
        if (m.cliName.equals(name)) {
          return m;
        }
      }
      throw new IllegalArgumentException("--method must be lockstep, attach-did, sequential or peers");
    }

    /** Whether the method runs its pairs in lockstep ({@link LockstepPair}). */
    boolean lockstep() {
      return this != SEQUENTIAL;
    }
  }

  static HarnessOptions parse(String[] args) {
    Method method = Method.named(Args.stringArg(args, "--method", "lockstep"));
    int warmup = Args.intArg(args, "--warmup", 1000);
    String extraJvmArgs = Args.stringArg(args, "--jvm-args", "").trim();
    String agentB = Args.stringArg(args, "--agent-b", "");
    String arms = Args.stringArg(args, "--arms", "all");
    String writeDoc = Args.stringArg(args, "--write-doc", "");
    Path root = Path.of(Args.stringArg(args, "--root", ".")).toAbsolutePath().normalize();
    return new HarnessOptions(method,
        Args.intArg(args, "--pairs", 5),
        Args.intArg(args, "--steps", method.lockstep() ? 3000 : 600),
        warmup,
        Args.intArg(args, "--warmup-after", warmup),
        Args.intArg(args, "--attach-runs", 0),
        List.of(Args.stringArg(args, "--modes", "aa,off,default,full").split(",")),
        Job.parseList(Args.stringArg(args, "--jobs", "djl")),
        extraJvmArgs.isEmpty() ? List.of() : List.of(extraJvmArgs.split("\\s+")),
        Args.intArg(args, "--pin-cpu", -1),
        Args.intArg(args, "--pin-others", -1),
        Args.intArg(args, "--turn-steps", 1),
        Args.intArg(args, "--sample-every", 100),
        agentB.isEmpty() ? null : Path.of(agentB).toAbsolutePath(),
        root,
        arms.equals("all") ? List.of(Peer.values()) : arms(arms),
        writeDoc.isEmpty() ? null : Path.of(writeDoc).toAbsolutePath());
  }

  private static List<Peer> arms(String names) {
    return java.util.Arrays.stream(names.split(",")).map(String::trim).map(Peer::named).toList();
  }

  Path agentJar() {
    return root.resolve("agent/target/mltrace-agent.jar");
  }
}
