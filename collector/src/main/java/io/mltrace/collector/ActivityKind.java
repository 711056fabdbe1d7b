package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;

/**
 * What an activity of a step is: a recorded span (step, phase, data, layer, op, inference), a GPU record (kernel,
 * copy, memset) or a JVM event. One vocabulary for every exporter: {@link #key()} is the name that
 * {@code trace.json} ({@code cat}), {@code summary.json} ({@code op_stats.kind}), {@code report.html}, the JFR span
 * events and the OTLP spans ({@code ml.kind}) all write.
 *
 * <p>The ring records carry {@link Kind} codes (small integers that pack into a header); {@link #of(int)} maps them
 * here once, when the collector rebuilds a span.
 */
public enum ActivityKind {
  STEP("step"),
  PHASE("phase"),
  DATA("data"),
  OP_GEMM("gemm"),
  OP_OTHER("op"),
  OP_COPY("copy"),
  LAYER("layer"),
  INFERENCE("inference"),
  /** Not a span: a step's op time outside its spans ({@link Kind#STEP_OPS}); never handed to an exporter. */
  STEP_OPS("step_ops"),
  GPU_KERNEL("gpu.kernel"),
  GPU_MEMCPY("gpu.memcpy"),
  GPU_MEMSET("gpu.memset"),
  /** Device memory allocated (CUPTI's memory records): a point in time, never an interval of GPU work. */
  GPU_ALLOC("gpu.alloc"),
  /** Device memory released. */
  GPU_FREE("gpu.free"),
  /** A JVM event from JFR: GC pause, safepoint, compilation, park, class load, execution sample. */
  JVM("jvm"),
  UNKNOWN("unknown");

  private static final ActivityKind[] BY_RECORD_KIND = new ActivityKind[16];

  static {
    java.util.Arrays.fill(BY_RECORD_KIND, UNKNOWN);
    BY_RECORD_KIND[Kind.STEP] = STEP;
    BY_RECORD_KIND[Kind.PHASE] = PHASE;
    BY_RECORD_KIND[Kind.DATA] = DATA;
    BY_RECORD_KIND[Kind.OP_GEMM] = OP_GEMM;
    BY_RECORD_KIND[Kind.OP_OTHER] = OP_OTHER;
    BY_RECORD_KIND[Kind.OP_COPY] = OP_COPY;
    BY_RECORD_KIND[Kind.LAYER] = LAYER;
    BY_RECORD_KIND[Kind.INFERENCE] = INFERENCE;
    BY_RECORD_KIND[Kind.STEP_OPS] = STEP_OPS;
  }

  private final String key;

  ActivityKind(String key) {
    this.key = key;
  }

  /** The stable lower-case name every output format uses. */
  public String key() {
    return key;
  }

  /** The kind of a ring record's {@link Kind} code. */
  public static ActivityKind of(int recordKind) {
    return recordKind >= 0 && recordKind < BY_RECORD_KIND.length ? BY_RECORD_KIND[recordKind] : UNKNOWN;
  }

  /** A tensor operation (GEMM-like, copy, other). */
  public boolean isOp() {
    return this == OP_GEMM || this == OP_OTHER || this == OP_COPY;
  }

  /** A record of work on a GPU. */
  public boolean isGpu() {
    return this == GPU_KERNEL || this == GPU_MEMCPY || this == GPU_MEMSET;
  }

  /**
   * A device memory allocation or release: never in {@link Step#external()} (no exporter sees it as GPU work); the
   * assembler turns these into the step's GPU memory series ({@link StepMemory}).
   */
  public boolean isGpuMemory() {
    return this == GPU_ALLOC || this == GPU_FREE;
  }
}
