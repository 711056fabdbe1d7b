package io.mltrace.collector;

import java.util.List;
import java.util.Map;

/**
 * One finished training step, as the collector hands it to every exporter: its wall interval and counters, its
 * spans (when it was recorded in detail) as a list and as a {@link SpanTree}, its breakdown and estimates, the JVM
 * and GPU activities placed in it, its GPU facts ({@link StepGpu}) and the JVM's state at its end
 * ({@link JvmFacts}). Everything is computed once, on the collector thread, before any exporter sees the step;
 * immutable afterwards, so an exporter's own thread (OTLP) may read it too.
 */
public final class Step {
  private final long number;
  private final long spanId;
  private final long threadId;
  private final String threadName;
  private final long startNs;
  private final long endNs;
  private final long flops;
  private final long opCount;
  private final boolean detailed;
  private final List<Span> spans;
  private final SpanTree tree;
  private final Breakdown breakdown;
  private final List<ExternalActivity> external;
  private final Map<String, Integer> hostFrames;
  private final long[] attributes;
  private final Estimates estimates;
  private final StepGpu gpu;
  private final JvmFacts jvm;
  private final StepMemory memory;
  private final TraceParent traceParent;

  /** A finished step: the draft's record and spans, with what the assembler computed for it. */
  Step(StepAssembler.Draft d, Breakdown breakdown, List<ExternalActivity> external, Map<String, Integer> hostFrames,
      Estimates estimates, StepGpu gpu) {
    this.number = d.number;
    this.spanId = d.spanId;
    this.threadId = d.threadId;
    this.threadName = d.threadName;
    this.startNs = d.startNs;
    this.endNs = d.endNs;
    this.flops = d.flops;
    this.opCount = d.opCount;
    this.detailed = d.detailed;
    this.spans = d.spans;
    this.tree = d.tree;
    this.attributes = d.attributes;
    this.jvm = d.jvm;
    this.memory = d.memory;
    this.traceParent = d.traceParent;
    this.breakdown = breakdown;
    this.external = external;
    this.hostFrames = hostFrames;
    this.estimates = estimates;
    this.gpu = gpu;
  }
  /** 1-based, in the order steps closed in the process. */
  public long number() {
    return number;
  }

  public long spanId() {
    return spanId;
  }

  public long threadId() {
    return threadId;
  }

  public String threadName() {
    return threadName;
  }

  public long startNs() {
    return startNs;
  }

  public long endNs() {
    return endNs;
  }

  public long wallNs() {
    return endNs - startNs;
  }

  /** FLOPs of the step's GEMM-like ops (forward ops seen by the hooks). */
  public long flops() {
    return flops;
  }

  /** Outermost ops executed in the step. */
  public long opCount() {
    return opCount;
  }

  /** True when the step's spans were recorded (a sampled step). */
  public boolean detailed() {
    return detailed;
  }

  /** The step's spans in the order they ended; empty for a step that was not sampled. */
  public List<Span> spans() {
    return spans;
  }

  /** The step's spans as a tree (parents, children, depths, start order), built once by the collector. */
  public SpanTree tree() {
    return tree;
  }

  /** The step's GPU facts (timeline, idle split, launches), computed once; null when it has no GPU records. */
  public StepGpu gpu() {
    return gpu;
  }

  /** The JVM when the step ended (heap), sampled by the collector. */
  public JvmFacts jvm() {
    return jvm;
  }

  /** The step's memory: the series measured in it and, in a detailed step, the sites of what outlived its step. */
  public StepMemory memory() {
    return memory;
  }

  /**
   * The application's span that was current when the step's training loop started (the step's span is its child in
   * OTLP), or null when none was: then the step starts its own trace.
   */
  public TraceParent traceParent() {
    return traceParent;
  }

  /** Hands the step's parts to {@code visitor} in the order {@link StepVisitor} states. */
  public void accept(StepVisitor visitor) {
    visitor.step(this);
    for (Span s : tree.inStartOrder()) {
      visitor.span(s, tree.parent(s), tree.depth(s));
    }
    for (ExternalActivity a : external) {
      if (a.kind().isGpu()) {
        visitor.gpu(a, tree.byId(a.correlatedSpanId()));
      } else if (!a.isSample()) {
        visitor.jvm(a);
      }
    }
    visitor.end(this);
  }

  /**
   * A framework-specific attribute ({@code io.mltrace.bootstrap.Slots.ATTR_*}, named by
   * {@code Slots.attributeName}); 0 when the instrumentation does not set it.
   */
  public long attribute(int index) {
    return attributes[index];
  }

  /**
   * The framework's own iteration count when this step began (DL4J's network keeps one; the same global iteration
   * on every worker of a Spark job), or -1 when the framework keeps none.
   */
  public long iteration() {
    return attributes[io.mltrace.bootstrap.Slots.ATTR_ITERATION] - 1;
  }

  /** The partition id of the Spark task that ran this step, or -1 outside a Spark task. */
  public long partition() {
    return attributes[io.mltrace.bootstrap.Slots.ATTR_PARTITION] - 1;
  }

  public Breakdown breakdown() {
    return breakdown;
  }

  /** Which part of the breakdown is estimated, and the check of the estimates in a detailed step. */
  public Estimates estimates() {
    return estimates;
  }

  /**
   * Activities from the {@link ActivitySource}s placed in this step: JVM events on its thread or stopping all
   * threads, execution samples, and GPU records launched by its spans.
   */
  public List<ExternalActivity> external() {
    return external;
  }

  /**
   * Top frames of the execution samples that fell in this step's {@code framework} or {@code unattributed} time,
   * with their sample counts, most frequent first. Empty without a sampling source.
   */
  public Map<String, Integer> hostFrames() {
    return hostFrames;
  }
}
