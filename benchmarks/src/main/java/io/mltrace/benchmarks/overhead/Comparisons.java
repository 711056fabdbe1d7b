package io.mltrace.benchmarks.overhead;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The catalogue of the agent's comparisons named by {@code --modes}: {@code aa} (no agent on either side, the
 * method's noise floor); {@code off}, {@code default}, {@code full} and {@code off-nojfr}
 * ({@code mode=off,jvm_events=off}) against no agent; {@code jfr} ({@code mode=off} against
 * {@code mode=off,jvm_events=off}: the JFR streaming that every mode starts); {@code default-vs-b} ({@code default}
 * with this build against {@code default} with {@code --agent-b PATH}); {@code vs:PATH} (the same against the jar
 * at PATH, so that one batch can hold several other builds); {@code memory} ({@code default} against
 * {@code default,memory=off}: what each step's memory readings cost); {@code bare:PATH} (the agent jar at PATH, with no
 * options, against no agent: the price of any agent, e.g. one whose {@code premain} does nothing).
 */
final class Comparisons {
  private final Path agent;
  private final Path agentB;
  private final int sampleEvery;
  private final Path work;

  /**
   * @param agentB another build's agent jar for {@code default-vs-b}, or {@code null}
   * @param work where the arms' output folders go
   */
  Comparisons(Path agent, Path agentB, int sampleEvery, Path work) {
    this.agent = agent;
    this.agentB = agentB;
    this.sampleEvery = sampleEvery;
    this.work = work;
  }

  /** The comparison named {@code mode} for pair {@code pair} of {@code job} (pair 0: for its name only). */
  Comparison of(Job job, String mode, int pair) {
    String prefix = job.cliName + "-" + fileName(mode) + "-" + pair;
    switch (mode) {
      case "aa":
        return new Comparison(mode, Arm.none(), Arm.none());
      case "off":
      case "full":
        return new Comparison(mode, mltrace(agent, "mode=" + mode, "", work.resolve(prefix)), Arm.none());
      case "default":
        return new Comparison(mode, mltrace(agent, "mode=default", ",sample_every=" + sampleEvery,
            work.resolve(prefix)), Arm.none());
      case "off-nojfr":
        return new Comparison(mode, mltrace(agent, "mode=off,jvm_events=off", "", work.resolve(prefix)),
            Arm.none());
      case "jfr":
        return new Comparison(mode, mltrace(agent, "mode=off", "", work.resolve(prefix + "-a")),
            mltrace(agent, "mode=off,jvm_events=off", "", work.resolve(prefix + "-b")));
      case "memory":
        return new Comparison(mode, mltrace(agent, "mode=default", ",sample_every=" + sampleEvery,
            work.resolve(prefix + "-a")), mltrace(agent, "mode=default,memory=off", ",sample_every=" + sampleEvery,
            work.resolve(prefix + "-b")));
      case "memory-full":
        return new Comparison(mode, mltrace(agent, "mode=default,memory=full", ",sample_every=" + sampleEvery,
            work.resolve(prefix + "-a")), mltrace(agent, "mode=default", ",sample_every=" + sampleEvery,
            work.resolve(prefix + "-b")));
      case "default-vs-b":
        if (agentB == null) {
          throw new IllegalArgumentException("default-vs-b needs --agent-b PATH (another build of the agent jar)");
        }
        return versus(mode, agentB, prefix);
      case "shipped":
        return new Comparison(mode, shipped(agent, "mltrace as shipped", work.resolve(prefix)), Arm.none());
      default:
        if (mode.startsWith("shipped-vs:")) {
          Path other = agentJar(mode.substring("shipped-vs:".length()));
          return new Comparison(mode, shipped(agent, "mltrace as shipped", work.resolve(prefix + "-a")),
              shipped(other, "as shipped (" + other.getFileName() + ")", work.resolve(prefix + "-b")));
        }
        if (mode.startsWith("with:")) {
          // default with more options against no agent, to price one part: "with:sample_period_ms=0+memory=off"
          String extra = mode.substring("with:".length()).replace('+', ',');
          return new Comparison(mode, mltrace(agent, "mode=default," + extra, ",sample_every=" + sampleEvery,
              work.resolve(prefix)), Arm.none());
        }
        if (mode.startsWith("bare:")) {
          // any agent jar, with no options, against no agent: what attaching an agent at all costs the job
          Path other = agentJar(mode.substring("bare:".length()));
          return new Comparison(mode, new Arm("bare", "`-javaagent:" + other.getFileName() + "`",
              List.of("-javaagent:" + other), List.of(), null, ""), Arm.none());
        }
        if (mode.startsWith("vs:")) {
          Path other = Path.of(mode.substring(3)).toAbsolutePath();
          if (!Files.isRegularFile(other)) {
            throw new IllegalArgumentException("vs:PATH needs an agent jar at PATH: " + other);
          }
          return versus(mode, other, prefix);
        }
        throw new IllegalArgumentException(
            "unknown comparison '" + mode + "' (aa, off, off-nojfr, default, full, jfr, memory, memory-full,"
                + " default-vs-b, vs:PATH, bare:PATH, with:OPTIONS, shipped, shipped-vs:PATH)");
    }
  }

  /** {@code default} with this build's agent on side A, {@code default} with the agent jar {@code other} on B. */
  private Comparison versus(String mode, Path other, String prefix) {
    Arm a = mltrace(agent, "mode=default", ",sample_every=" + sampleEvery, work.resolve(prefix + "-a"));
    Arm b = Arm.mltrace("default (" + other.getFileName() + ")", other, true, "mode=default" + COMMON
        + work.resolve(prefix + "-b") + ",sample_every=" + sampleEvery, work.resolve(prefix + "-b"), "");
    return new Comparison(mode, a, b);
  }

  /**
   * An agent jar with no option but where its outputs go: what a user gets from {@code -javaagent:mltrace-agent.jar}
   * (a console line per step, the default report interval), unlike the other arms' {@code console=off}.
   */
  private static Arm shipped(Path jar, String shown, Path out) {
    return Arm.mltrace(shown, jar, false, "output=" + out, out, "");
  }

  private static Path agentJar(String path) {
    Path jar = Path.of(path).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("needs an agent jar at " + jar);
    }
    return jar;
  }

  private static final String COMMON = ",console=off,report_interval=0,output=";

  /** This build's agent with {@code modeOptions}, the common options and {@code after}, writing to {@code out}. */
  private static Arm mltrace(Path jar, String modeOptions, String after, Path out) {
    return Arm.mltrace(modeOptions, jar, false, modeOptions + COMMON + out + after, out, "");
  }

  /** A comparison's name as part of a file name ({@code vs:PATH} holds slashes). */
  static String fileName(String mode) {
    return mode.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
