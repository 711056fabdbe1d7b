package io.mltrace.collector;

/**
 * Where tensors that outlived their step were created, and how much of them is still alive.
 *
 * @param site {@code Class.method(File:line)} for JVM tensors, the launching op for device memory
 * @param series the level series these bytes count in ({@link MemorySeries#ARRAYS_LIVE_BYTES}, ...)
 * @param bytes bytes still alive
 * @param count tensors (or allocations) still alive
 */
public record MemorySite(String site, MemorySeries series, long bytes, long count) {
  @Override
  public String toString() {
    return site + " " + bytes + " B in " + count;
  }
}
