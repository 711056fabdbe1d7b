package io.mltrace.collector;

import java.util.List;
import java.util.Map;

/** One closed training step: its wall interval, its spans (when it was recorded in detail) and its breakdown. */
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
  private final Breakdown breakdown;
  private final List<ExternalActivity> external;
  private final Map<String, Integer> hostFrames;
  private final long[] attributes;
  private final Estimates estimates;

  Step(long number, long spanId, long threadId, String threadName, long startNs, long endNs, long flops,
      long opCount, boolean detailed, List<Span> spans, Breakdown breakdown, List<ExternalActivity> external,
      Map<String, Integer> hostFrames) {
    this(number, spanId, threadId, threadName, startNs, endNs, flops, opCount, detailed, spans, breakdown, external,
        hostFrames, new long[io.mltrace.bootstrap.Slots.STEP_ATTRIBUTE_COUNT], Estimates.NONE);
  }

  /** As the other constructor, with the step's framework-specific attributes ({@code Slots.ATTR_*}). */
  Step(long number, long spanId, long threadId, String threadName, long startNs, long endNs, long flops,
      long opCount, boolean detailed, List<Span> spans, Breakdown breakdown, List<ExternalActivity> external,
      Map<String, Integer> hostFrames, long[] attributes, Estimates estimates) {
    this.attributes = attributes;
    this.estimates = estimates;
    this.number = number;
    this.spanId = spanId;
    this.threadId = threadId;
    this.threadName = threadName;
    this.startNs = startNs;
    this.endNs = endNs;
    this.flops = flops;
    this.opCount = opCount;
    this.detailed = detailed;
    this.spans = spans;
    this.breakdown = breakdown;
    this.external = external;
    this.hostFrames = hostFrames;
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

  /**
   * A framework-specific attribute ({@code io.mltrace.bootstrap.Slots.ATTR_*}, named by
   * {@code Slots.attributeName}); 0 when the instrumentation does not set it.
   */
  public long attribute(int index) {
    return attributes[index];
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
