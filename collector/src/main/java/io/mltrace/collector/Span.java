package io.mltrace.collector;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;

/**
 * One recorded interval on one thread, rebuilt by the collector from a ring record. Times are
 * {@link System#nanoTime()} values.
 */
public final class Span {
  private final int kind;
  private final ActivityKind activityKind;
  private final String name;
  private final long threadId;
  private final long startNs;
  private final long endNs;
  private final long spanId;
  private final long parentId;
  private final long flops;
  private final long bytes;
  private final long[][] inputShapes;
  private final long header;
  /** Op time that ran inside this span without op spans ({@link Slots#FLAG_OP_TIME}); null when none. */
  private final long[] opTime;

  /** A span with no flags and no recorded element type. */
  public Span(int kind, String name, long threadId, long startNs, long endNs, long spanId, long parentId,
      long flops, long bytes, long[][] inputShapes) {
    this(Slots.header(kind), name, threadId, startNs, endNs, spanId, parentId, flops, bytes, inputShapes);
  }

  /** A span with no flags, with the {@link DataTypes} code of the first input. */
  public Span(int kind, String name, long threadId, long startNs, long endNs, long spanId, long parentId,
      long flops, long bytes, long[][] inputShapes, int dtype) {
    this(Slots.withDtype(Slots.header(kind), dtype), name, threadId, startNs, endNs, spanId, parentId, flops, bytes,
        inputShapes);
  }

  /** A span from a record header: its {@link Kind}, flags ({@link Slots#isEstimate}) and element type. */
  public Span(long header, String name, long threadId, long startNs, long endNs, long spanId, long parentId,
      long flops, long bytes, long[][] inputShapes) {
    this(header, name, threadId, startNs, endNs, spanId, parentId, flops, bytes, inputShapes, null);
  }

  /**
   * As the constructor above, with the op time that ran inside the span without op spans: the record's slots from
   * {@link Slots#OP_TIME} to {@link Slots#OP_TIMING_NS} (GEMM, copy, other ns; then the estimated part of each; the
   * estimate check; mltrace's timing work), or null.
   */
  Span(long header, String name, long threadId, long startNs, long endNs, long spanId, long parentId, long flops,
      long bytes, long[][] inputShapes, long[] opTime) {
    this.opTime = opTime;
    this.header = header;
    this.kind = Slots.kind(header);
    this.activityKind = ActivityKind.of(kind);
    this.name = name;
    this.threadId = threadId;
    this.startNs = startNs;
    this.endNs = endNs;
    this.spanId = spanId;
    this.parentId = parentId;
    this.flops = flops;
    this.bytes = bytes;
    this.inputShapes = inputShapes;
  }

  /** A {@link Kind} constant, as in the ring record; exporters read {@link #activityKind()}. */
  public int kind() {
    return kind;
  }

  /** What the span is, in the exporters' one vocabulary. */
  public ActivityKind activityKind() {
    return activityKind;
  }

  public String name() {
    return name;
  }

  public long threadId() {
    return threadId;
  }

  public long startNs() {
    return startNs;
  }

  public long endNs() {
    return endNs;
  }

  public long durationNs() {
    return endNs - startNs;
  }

  public long spanId() {
    return spanId;
  }

  /** The enclosing span, or the step's span id for a top-level span of a step, or 0. */
  public long parentId() {
    return parentId;
  }

  public long flops() {
    return Slots.hasPartition(header) ? 0 : flops;
  }

  /** The partition id of the Spark task that ran this span, where it was read ({@link Slots#FLAG_PARTITION}), else -1. */
  public long partition() {
    return Slots.hasPartition(header) ? flops : -1;
  }

  public long bytes() {
    return bytes;
  }

  /** Op time inside the span without op spans of its own (GEMM, copy, other ns; then their estimated parts). */
  long[] opTime() {
    return opTime;
  }

  /**
   * mltrace's own work on the timed ops inside the span that wrote no records ({@link Slots#OP_TIMING_NS}); 0 if
   * none.
   */
  long opTimingNs() {
    return opTimeCheck(Slots.OP_TIMING_NS);
  }

  /** A slot of a {@link Kind#STEP_OPS} record past the op time ({@link Slots#CHECK_ESTIMATED_NS}...); 0 if absent. */
  long opTimeCheck(int slot) {
    int i = slot - Slots.OP_TIME;
    return opTime == null || i >= opTime.length ? 0 : opTime[i];
  }

  /** True when this span's time and FLOPs are an estimate (the GEMMs hidden in a native backward pass). */
  public boolean estimated() {
    return Slots.isEstimate(header);
  }

  /**
   * How long mltrace spent right after this span's end reading its shapes and writing its record, in ns (0: not
   * measured); that time, {@code [endNs, endNs + recordingNs)}, is {@link Category#MLTRACE}.
   */
  public long recordingNs() {
    return Slots.recordingNs(header);
  }

  /** Shapes of the recorded inputs; empty when none were recorded. Do not modify. */
  public long[][] inputShapes() {
    return inputShapes;
  }

  /**
   * The {@link DataTypes} code of the first input (header bits 20-27); 0 when unknown. {@link DataTypes#name}
   * turns it into a name such as {@code float32}.
   */
  public int dtype() {
    return Slots.dtype(header);
  }

  /** The name of the first input's element type ({@code float32}...), or null when unknown. */
  public String dtypeName() {
    return DataTypes.name(dtype());
  }

  /** The accounting category of the time inside this span when nothing of higher priority overlaps it. */
  public Category category() {
    switch (kind) {
      case Kind.OP_GEMM: return Category.GEMM;
      case Kind.OP_OTHER: return Category.OTHER_COMPUTE;
      case Kind.OP_COPY: return Category.MEMCPY;
      case Kind.DATA: return Category.DATA;
      default: return Category.FRAMEWORK;
    }
  }

  @Override
  public String toString() {
    return activityKind.key() + ":" + name + "[" + startNs + ".." + endNs + "]";
  }
}
