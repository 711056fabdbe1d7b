package io.mltrace.collector;

/**
 * Where a step's time went. Categories are listed in priority order: where intervals overlap, the earlier
 * category takes the time (a GC pause inside an op is {@link #GC}; an op run by the data pipeline is {@link #DATA};
 * a host/device copy is {@link #MEMCPY} wherever it happens).
 *
 * <p>The {@link #key()} names are part of {@code summary.json}'s stable schema.
 */
public enum Category {
  GC("gc"),
  JIT_SAFEPOINT("jit_safepoint"),
  /**
   * mltrace's own work in a detailed step, measured: after an op or layer ends, the time its hook spends reading
   * shapes and types and writing the record. It is neither the job's framework nor its op, so it is not billed to
   * either (it would otherwise inflate {@code framework} in every detailed step by the cost of recording it). Counted
   * steps write no such records and have none.
   */
  MLTRACE("mltrace"),
  MEMCPY("memcpy"),
  /** Fetching and batching data, including the tensor ops the data pipeline runs (batchify's stack, transforms). */
  DATA("data"),
  GEMM("gemm"),
  OTHER_COMPUTE("other_compute"),
  IDLE("idle"),
  /** Host time inside a framework call (a phase or layer span) but outside any op. */
  FRAMEWORK("framework"),
  /** Step time inside no recorded span: the rest, reported and never hidden. */
  UNATTRIBUTED("unattributed");

  private final String key;

  Category(String key) {
    this.key = key;
  }

  /** The stable lower-case name used in output files. */
  public String key() {
    return key;
  }
}
