package io.mltrace.bootstrap;

/**
 * The layout of one record in a {@link ThreadRecorder} ring: {@link #WIDTH} longs.
 *
 * <p>Every record carries {@link #HEADER} to {@link #STEP_ID}. Span records then carry FLOPs, bytes and up to
 * {@link #MAX_DIMS} dimensions of up to three input tensors. The header packs the {@link Kind} (bits 0-7), the rank
 * of each tensor (bits 8-19), the element type (bits 20-27) and {@link #FLAG_ESTIMATE} (bit 28). Step records
 * use the tail for the step's own facts ({@link #STEP_OP_COUNT} and on).
 */
public final class Slots {
  public static final int HEADER = 0;
  public static final int START = 1;
  public static final int END = 2;
  public static final int SPAN_ID = 3;
  public static final int PARENT_ID = 4;
  /** Span records: the span id of the step they belong to (0: outside any step). Step records: the step number. */
  public static final int STEP_ID = 5;
  public static final int FLOPS = 6;
  public static final int BYTES = 7;
  public static final int DIMS = 8;
  public static final int MAX_DIMS = 12;
  public static final int WIDTH = DIMS + MAX_DIMS;

  // Step records: facts of every step, detailed or not. Its op time travels in the records of the spans that ran the
  // ops and in a Kind.STEP_OPS record (FLAG_OP_TIME), not here.
  public static final int STEP_OP_COUNT = DIMS;
  public static final int STEP_DETAILED = DIMS + 1;
  public static final int STEP_DROPPED = DIMS + 2;
  /**
   * Step records: framework-specific attributes of the step from here on, {@link #STEP_ATTRIBUTE_COUNT} of them
   * (0 when unused), set through {@link Recorder#setStepAttribute}. Memory figures are not attributes: they travel
   * in the step's {@link Kind#STEP_MEMORY} record ({@link MemorySlots}). Attributes 2 to 5 are free.
   */
  public static final int STEP_ATTRIBUTES = DIMS + 3;
  public static final int STEP_ATTRIBUTE_COUNT = 6;
  /**
   * Step records: mltrace's own time at the step's start, opening it (and, at a step's end, the boundary's work after
   * the closed step's record): {@code [START, START + this)} is {@code mltrace}, not the job's input time.
   */
  public static final int STEP_OPENING_NS = STEP_ATTRIBUTES + STEP_ATTRIBUTE_COUNT;
  /**
   * Step attribute, set by the recorder: outermost ops whose time was measured. Equal to the op count in a
   * detailed step; in a step that is not, the rest of the op time is estimated ({@link SamplingPolicy#withOpTimingEvery}).
   */
  public static final int ATTR_OPS_TIMED = 0;
  /**
   * Step attribute: the framework's own count of training iterations when the step's iteration began, plus one (0:
   * the framework keeps none, or it could not be read). DL4J's network keeps one ({@code getIterationCount()}); under
   * Spark's parameter averaging the driver hands it to every worker with the averaged model, so it names the same
   * global iteration on every worker (set through {@link StepIteration}).
   */
  public static final int ATTR_ITERATION = 1;
  /**
   * Step attribute: the partition id of the Spark task that ran the step, plus one (0: not in a Spark task). Set
   * through {@link StepIteration} with the iteration: a worker's steps grouped by the partition they fitted.
   */
  public static final int ATTR_PARTITION = 2;

  /** A lower-case name of a step attribute for output formats. */
  public static String attributeName(int index) {
    switch (index) {
      case ATTR_OPS_TIMED: return "ops_timed";
      case ATTR_ITERATION: return "iteration";
      case ATTR_PARTITION: return "partition";
      default: return "attribute_" + index;
    }
  }

  /** The value an output format shows for a step attribute's raw value (an iteration or partition is stored plus one). */
  public static long attributeValue(int index, long raw) {
    return index == ATTR_ITERATION || index == ATTR_PARTITION ? raw - 1 : raw;
  }

  /** Bits 0-7 of the header: the {@link Kind}. */
  public static int kind(long header) {
    return (int) (header & 0xff);
  }

  /** Bits 8+4i to 11+4i of the header: the rank of input tensor {@code i} (0 to 2). */
  public static int rank(long header, int tensor) {
    return (int) ((header >>> (8 + 4 * tensor)) & 0xf);
  }

  /** Bits 20-27 of a span header: the {@link DataTypes} code of its first input (0: unknown, not recorded). */
  static final int DTYPE_SHIFT = 20;
  /** Header bit 28: the span's time and FLOPs are an estimate, not a measurement (backward GEMM on CPU). */
  public static final long FLAG_ESTIMATE = 1L << 28;

  /**
   * Header bit 29: the record's first {@link #OP_TIME_SLOTS} dimension slots hold the op time that ran inside the
   * span without op records of its own (counted ops): per op class (GEMM, copy, other) the total ns
   * ({@link #OP_TIME}), then the estimated part of each ({@link #OP_TIME_ESTIMATED}). Only spans without shapes.
   */
  public static final long FLAG_OP_TIME = 1L << 29;
  /**
   * Header bit 30, on span records that are not ops: the {@link #FLOPS} slot holds the partition id of the Spark task
   * that ran the span (a phase has no FLOPs; a worker's {@code getFinalResult} runs in one task and closes inside the
   * next task's first step, so a span cannot borrow its step's partition).
   */
  public static final long FLAG_PARTITION = 1L << 30;
  /** Span records with {@link #FLAG_OP_TIME}, and {@link Kind#STEP_OPS} records: GEMM, copy, other ns. */
  public static final int OP_TIME = DIMS;
  /** The estimated part of {@link #OP_TIME}'s three values, in the same order. */
  public static final int OP_TIME_ESTIMATED = DIMS + 3;
  public static final int OP_TIME_SLOTS = 6;
  /**
   * {@link Kind#STEP_OPS} records of a detailed step: what the counting path would have estimated for the ops this
   * step timed, and what they measured (the check of the estimates).
   */
  public static final int CHECK_ESTIMATED_NS = DIMS + 6;
  public static final int CHECK_MEASURED_NS = DIMS + 7;
  /**
   * Span records with {@link #FLAG_OP_TIME}, and {@link Kind#STEP_OPS} records: mltrace's own work on the timed ops
   * that ran inside the span without records of their own (from each op's end to its hook's return: learning its
   * time, reading its FLOPs), in ns. That time runs between the ops, where it would read as the framework's; the
   * collector bills it to {@code mltrace}.
   */
  public static final int OP_TIMING_NS = DIMS + 8;

  /**
   * Header bits 32-62 of op and layer records: how long the hook took after the span's end to read its shapes and
   * write its record, in ns (0: not measured), capped at {@link #MAX_RECORDING_NS}. That time follows the span at once
   * on its thread; the collector bills it to {@code mltrace}, not to whatever span ran around it.
   */
  static final int RECORDING_SHIFT = 32;
  public static final long MAX_RECORDING_NS = (1L << 31) - 1;

  /** The header with its recording time set to {@code ns} (capped; bits 32-62 must be clear). */
  public static long withRecording(long header, long ns) {
    return header | (Math.max(0, Math.min(ns, MAX_RECORDING_NS)) << RECORDING_SHIFT);
  }

  /** The recording time the header carries, in ns (0: none measured). */
  public static long recordingNs(long header) {
    return (header >>> RECORDING_SHIFT) & MAX_RECORDING_NS;
  }

  /** True when the record carries op time in its dimension slots ({@link #FLAG_OP_TIME}). */
  public static boolean hasOpTime(long header) {
    return (header & FLAG_OP_TIME) != 0;
  }

  /** True when the record's {@link #FLOPS} slot holds its Spark task's partition ({@link #FLAG_PARTITION}). */
  public static boolean hasPartition(long header) {
    return (header & FLAG_PARTITION) != 0;
  }

  /** True when the record's time and FLOPs are estimated. */
  public static boolean isEstimate(long header) {
    return (header & FLAG_ESTIMATE) != 0;
  }

  /** The {@link DataTypes} code of a span record (0: unknown, not recorded). */
  public static int dtype(long header) {
    return (int) ((header >>> DTYPE_SHIFT) & 0xff);
  }

  /** The header with the {@link DataTypes} code {@code dtype} in bits 20-27 (which must be clear). */
  public static long withDtype(long header, int dtype) {
    return header | ((long) (dtype & 0xff) << DTYPE_SHIFT);
  }

  /** A header of this kind with no ranks, flags or type. */
  public static long header(int kind) {
    return kind & 0xff;
  }

  static long header(int kind, int rank0, int rank1, int rank2) {
    return (kind & 0xff) | ((long) (rank0 & 0xf) << 8) | ((long) (rank1 & 0xf) << 12) | ((long) (rank2 & 0xf) << 16);
  }

  private Slots() {}
}
