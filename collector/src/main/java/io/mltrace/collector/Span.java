package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;

/**
 * One recorded interval on one thread, rebuilt by the collector from a ring record. Times are
 * {@link System#nanoTime()} values.
 */
public final class Span {
  private final int kind;
  private final String name;
  private final long threadId;
  private final long startNs;
  private final long endNs;
  private final long spanId;
  private final long parentId;
  private final long flops;
  private final long bytes;
  private final long[][] inputShapes;
  private final int dtype;

  public Span(int kind, String name, long threadId, long startNs, long endNs, long spanId, long parentId,
      long flops, long bytes, long[][] inputShapes) {
    this(kind, name, threadId, startNs, endNs, spanId, parentId, flops, bytes, inputShapes, 0);
  }

  /** As the other constructor, with the {@link io.mltrace.bootstrap.DataTypes} code of the first input. */
  public Span(int kind, String name, long threadId, long startNs, long endNs, long spanId, long parentId,
      long flops, long bytes, long[][] inputShapes, int dtype) {
    this.dtype = dtype;
    this.kind = kind;
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

  /** A {@link Kind} constant. */
  public int kind() {
    return kind;
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
    return flops;
  }

  public long bytes() {
    return bytes;
  }

  /** Shapes of the recorded inputs; empty when none were recorded. Do not modify. */
  public long[][] inputShapes() {
    return inputShapes;
  }

  /** The {@link io.mltrace.bootstrap.DataTypes} code of the first input; 0 when unknown. */
  public int dtype() {
    return dtype;
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
    return Kind.name(kind) + ":" + name + "[" + startNs + ".." + endNs + "]";
  }
}
