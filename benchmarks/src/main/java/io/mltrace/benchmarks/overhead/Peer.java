package io.mltrace.benchmarks.overhead;

import java.nio.file.Path;
import java.util.List;

/**
 * The peer arms: mltrace's modes and what a user would run instead, each measured against no profiler in the same
 * batch ({@link PeerExperiment}). {@link #sees} is the table's "what the arm can see" column.
 */
enum Peer {
  NONE_CONTROL("A/A control", null,
      "nothing (no profiler on either side: the method's noise floor)"),
  MLTRACE_OFF("mltrace off", null,
      "step wall time and data time per step; attach to a running job"),
  MLTRACE_DEFAULT("mltrace default", null,
      "step breakdown every step (gemm, other_compute, memcpy, data, gc, jit_safepoint, framework); ops with shapes "
          + "and FLOPs, layers, phases in 1 step of 100; JVM causes (JFR); GPU kernels (CUPTI, where present); "
          + "attach to a running job"),
  MLTRACE_FULL("mltrace full", null,
      "as default, with ops, shapes, FLOPs and layers in every step"),
  MLTRACE_FULL_PROFILED("mltrace full + djl_profile_every=100", Job.Framework.DJL,
      "as full, and every 100th step's backward ops measured by PyTorch's profiler instead of estimated"),
  DJL_PROFILER("DJL PyTorch profiler, every step", Job.Framework.DJL,
      "ops with shapes and CPU time (the engine's own profiler, one trace per step); no step breakdown, no layers, "
          + "no JVM causes, no FLOPs; not attachable"),
  DL4J_OP_PROFILER("DL4J OpProfiler (elapsed time)", Job.Framework.DL4J,
      "per-op-name totals (count, time) over the whole run; no steps, no shapes, no JVM causes; not attachable"),
  DL4J_PERFORMANCE_LISTENER("DL4J PerformanceListener", Job.Framework.DL4J,
      "per iteration: time, ETL time, samples/s; no breakdown, no ops; not attachable"),
  JFR_PROFILE("JFR, settings=profile", null,
      "JVM causes (GC, safepoints, JIT, locks, allocation) and Java stack samples; no native frames, no ops, "
          + "no steps; attach (jcmd JFR.start)"),
  ASYNC_CPU("async-profiler cpu", null,
      "CPU stack samples, Java and native frames (libtorch, OpenBLAS); no steps, no shapes, no FLOPs; attach"),
  ASYNC_ITIMER("async-profiler itimer", null,
      "as cpu, from setitimer instead of perf events (where perf events are not allowed)"),
  ASYNC_WALL("async-profiler wall", null,
      "wall-clock stack samples of every thread, waits included; no steps, no shapes; attach"),
  OTEL_AGENT("OpenTelemetry Java agent", null,
      "no ML spans (no instrumentation for DJL or DL4J); JVM runtime metrics; the cost of a generic agent");

  final String title;
  /** The framework the arm needs, or {@code null} for any. */
  final Job.Framework framework;
  final String sees;

  Peer(String title, Job.Framework framework, String sees) {
    this.title = title;
    this.framework = framework;
    this.sees = sees;
  }

  boolean appliesTo(Job job) {
    return framework == null || framework == job.framework;
  }

  /** One of mltrace's own arms (its JVM runs the agent). */
  boolean isMltrace() {
    return name().startsWith("MLTRACE_");
  }

  /** The arm's name on the command line ({@code --arms}). */
  String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  static Peer named(String name) {
    for (Peer peer : values()) {
      if (peer.cliName().equals(name)) {
        return peer;
      }
    }
    throw new IllegalArgumentException("unknown arm '" + name + "'");
  }

  /**
   * Side A's arm writing to {@code out} (an empty folder of its own); the DJL profiler's job counts the bytes it
   * writes there itself, since each step's trace replaces the last. Or an {@link IllegalStateException} saying why
   * the arm cannot run here (a peer's jar that the build did not copy).
   */
  Arm arm(PeerTools tools, Path out) {
    String common = ",console=off,report_interval=0,output=" + out;
    switch (this) {
      case NONE_CONTROL:
        return new Arm(cliName(), "no profiler", List.of(), List.of(), null, sees);
      case MLTRACE_OFF:
        return Arm.mltrace(cliName(), tools.agent(), false, "mode=off" + common, out, sees);
      case MLTRACE_DEFAULT:
        return Arm.mltrace(cliName(), tools.agent(), false, "mode=default" + common, out, sees);
      case MLTRACE_FULL:
        return Arm.mltrace(cliName(), tools.agent(), false, "mode=full" + common, out, sees);
      case MLTRACE_FULL_PROFILED:
        return Arm.mltrace(cliName(), tools.agent(), false, "mode=full,djl_profile_every=100" + common, out, sees);
      case DJL_PROFILER:
        return new Arm(cliName(), "job: `JniUtils.startProfile(false, true, true)` before and `stopProfile(file)` "
            + "after every step", List.of(), List.of("--djl-profiler", out.toString()), null, sees);
      case DL4J_OP_PROFILER:
        return new Arm(cliName(), "job: `ProfilerConfig.builder().checkElapsedTime(true)`, dashboard at the end",
            List.of(), List.of("--op-profiler", "true"), null, sees);
      case DL4J_PERFORMANCE_LISTENER:
        return new Arm(cliName(), "job: `new PerformanceListener(1, true)`", List.of(),
            List.of("--performance-listener", "true"), null, sees);
      case JFR_PROFILE:
        return new Arm(cliName(), "`-XX:StartFlightRecording=settings=profile,filename=<tmp>`",
            List.of("-XX:StartFlightRecording=settings=profile,filename=" + out.resolve("recording.jfr")), List.of(),
            out, sees);
      case ASYNC_CPU:
        return asyncProfiler(tools, "cpu", out);
      case ASYNC_ITIMER:
        return asyncProfiler(tools, "itimer", out);
      case ASYNC_WALL:
        return asyncProfiler(tools, "wall", out);
      case OTEL_AGENT:
        return new Arm(cliName(), "`-javaagent:opentelemetry-javaagent.jar` " + tools.otelVersion()
            + ", exporters `none`", List.of("-javaagent:" + tools.otelAgent(), "-Dotel.traces.exporter=none",
            "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none"), List.of(), null, sees);
      default:
        throw new AssertionError(this);
    }
  }

  private Arm asyncProfiler(PeerTools tools, String event, Path out) {
    Path file = out.resolve("profile.jfr");
    return new Arm(cliName(), "`-agentpath:libasyncProfiler.so=start,event=" + event + ",file=<tmp>.jfr` "
        + tools.asyncProfilerVersion(), List.of("-agentpath:" + tools.asyncProfiler() + "=start,event=" + event
        + ",file=" + file), List.of(), out, sees);
  }
}
