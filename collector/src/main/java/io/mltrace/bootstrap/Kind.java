package io.mltrace.bootstrap;

/**
 * Kinds of recorded activity, as small integers so that they pack into a record header.
 *
 * <p>Values are stable: the collector turns them into its {@code ActivityKind}, the one vocabulary the exporters
 * write.
 */
public final class Kind {
  /** One whole training iteration, from the end of the previous one (batch fetch included). */
  public static final int STEP = 1;
  /** A phase inside a step: forward, backward, optimizer update, or a whole framework call such as trainBatch. */
  public static final int PHASE = 2;
  /** Data loading and batching. */
  public static final int DATA = 3;
  /** A GEMM-like tensor operation: linear, matmul, batched matmul, dot, convolution, recurrent cells. */
  public static final int OP_GEMM = 4;
  /** Any other tensor operation. */
  public static final int OP_OTHER = 5;
  /** A host/device copy. */
  public static final int OP_COPY = 6;
  /** A layer (block) of the model. */
  public static final int LAYER = 7;
  /**
   * A root span of inference outside training steps: one {@code Predictor.predict}/{@code batchPredict} call, or an
   * evaluation pass between two training iterations ({@code Trainer.evaluate}, DL4J's {@code doEvaluation}).
   */
  public static final int INFERENCE = 8;
  /**
   * Not a span: the op time of a step that ran outside any of its spans, and the step's estimate check
   * ({@link Slots#OP_TIME}, {@link Slots#CHECK_ESTIMATED_NS}); written just before the step record.
   */
  public static final int STEP_OPS = 9;
  /**
   * Not a span: the step's memory facts ({@link MemorySlots}), written just before the step record, in every step
   * that has any.
   */
  public static final int STEP_MEMORY = 10;
  /**
   * Not a span: one creation site (the record's name: {@code Class.method(File:line)}) of tensors that were created in
   * sampled steps, outlived their step and are still alive, with their bytes and count ({@link MemorySlots#SITE_BYTES}):
   * a snapshot at the close of a detailed step, written just before its step record. A tensor closed late drops out
   * of the next snapshot.
   */
  public static final int MEMORY_SITE = 11;
  /**
   * Not a span: the application's active trace when a training loop started on the thread ({@link TraceContext};
   * all zero: none). The thread's later steps belong to it until the next such record.
   */
  public static final int LOOP_CONTEXT = 12;
  /**
   * Not a span: what one holder of the model being trained holds at this point of the open step
   * ({@link ModelMemory}: parameters, gradients, optimizer state), with its bytes and array count
   * ({@link MemorySlots#HOLDER_BYTES}). Written every so many steps; the collector carries the latest value forward.
   */
  public static final int MEMORY_HOLDER = 13;

  private Kind() {}

  /** True for the kinds that are tensor operations. */
  public static boolean isOp(int kind) {
    return kind == OP_GEMM || kind == OP_OTHER || kind == OP_COPY;
  }
}
