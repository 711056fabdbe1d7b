package io.mltrace.collector;

/**
 * Where tensors that outlived their step were created, and how much of them is still alive: a frame
 * ({@code Class.method(File:line)}) for JVM tensors, the launching op for device memory.
 */
public final class MemorySite {
  private final String site;
  private final MemorySeries series;
  private final long bytes;
  private final long count;

  public MemorySite(String site, MemorySeries series, long bytes, long count) {
    this.site = site;
    this.series = series;
    this.bytes = bytes;
    this.count = count;
  }

  /** {@code Class.method(File:line)}, or the launching op of device memory. */
  public String site() {
    return site;
  }

  /** The level series these bytes count in ({@link MemorySeries#ARRAYS_LIVE_BYTES}, ...). */
  public MemorySeries series() {
    return series;
  }

  public long bytes() {
    return bytes;
  }

  public long count() {
    return count;
  }

  @Override
  public String toString() {
    return site + " " + bytes + " B in " + count;
  }
}
