package io.mltrace.bootstrap;

/**
 * A thread's open spans: id, start and owner per level, and which levels pushed a GPU correlation id. Span ids are
 * unique per process: the thread's registration index in the high bits, a sequence in the low 40.
 *
 * <p>Owning thread only.
 */
final class SpanStack {
  /** Deepest span nesting kept; deeper spans are counted as dropped. */
  static final int MAX_DEPTH = 64;
  /** {@link #close}: no span was open (an exit whose enter ran before the agent came in). */
  static final int UNBALANCED = -1;
  /** {@link #close}: the span was past {@link #MAX_DEPTH} and never pushed. */
  static final int OVERFLOW = -2;

  static {
    // gpuPushed keeps one bit per level.
    if (MAX_DEPTH > Long.SIZE) {
      throw new ExceptionInInitializerError("MAX_DEPTH must fit the GPU bit mask");
    }
  }

  private final long[] ids = new long[MAX_DEPTH];
  private final long[] starts = new long[MAX_DEPTH];
  /** The object that opened each span, where one did ({@link Recorder#enterOwnedSpan}); cleared on close. */
  private final Object[] owners = new Object[MAX_DEPTH];
  private int depth;
  private int overflowDepth;
  /** Bit d set: the span at depth d pushed a GPU correlation id, so closing it pops one (balanced per thread). */
  private long gpuPushed;
  private final long idBase;
  private long sequence;

  SpanStack(int threadIndex) {
    this.idBase = ((long) threadIndex + 1) << 40;
  }

  long nextId() {
    return idBase | ++sequence;
  }

  /** A seed that differs per thread, for the thread's own random numbers. */
  long idBase() {
    return idBase;
  }

  int depth() {
    return depth;
  }

  /** Opens a span; false (nothing kept) when nesting is too deep. */
  boolean push(long now) {
    if (depth >= MAX_DEPTH) {
      overflowDepth++;
      return false;
    }
    long id = nextId();
    ids[depth] = id;
    starts[depth] = now;
    if (GpuCorrelation.active) {
      GpuNative.push0(id);
      gpuPushed |= 1L << depth;
    }
    depth++;
    return true;
  }

  /**
   * Closes the innermost span (its GPU correlation id popped, its owner cleared) and returns its level, from which
   * {@link #id}, {@link #start} and {@link #parentId} still read it; or {@link #OVERFLOW} or {@link #UNBALANCED}.
   */
  int close() {
    if (overflowDepth > 0) {
      overflowDepth--;
      return OVERFLOW;
    }
    if (depth == 0) {
      return UNBALANCED;
    }
    depth--;
    owners[depth] = null;
    if (gpuPushed != 0 && (gpuPushed & (1L << depth)) != 0) {
      GpuNative.pop0();
      gpuPushed &= ~(1L << depth);
    }
    return depth;
  }

  long id(int level) {
    return ids[level];
  }

  long start(int level) {
    return starts[level];
  }

  /** The span open around {@code level}, or {@code outer} (the step's id, or 0) at level 0. */
  long parentId(int level, long outer) {
    return level > 0 ? ids[level - 1] : outer;
  }

  /** The innermost open span's id, or 0. */
  long innermostId() {
    return depth > 0 ? ids[depth - 1] : 0;
  }

  /** The innermost open span's start, or 0. */
  long innermostStart() {
    return depth > 0 ? starts[depth - 1] : 0;
  }

  boolean innermostOwnedBy(Object owner) {
    return depth > 0 && owners[depth - 1] == owner;
  }

  void ownInnermost(Object owner) {
    if (depth > 0) {
      owners[depth - 1] = owner;
    }
  }
}
