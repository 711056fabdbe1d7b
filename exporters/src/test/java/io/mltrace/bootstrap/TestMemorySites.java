package io.mltrace.bootstrap;

/**
 * For the exporter tests: writes a creation-site record into the calling thread's open step through the bridge's
 * own {@link ThreadRecorder#writeMemorySite}, as the tensor hooks do at a sampled step's close (the bridge has no
 * public entry for it: only the hooks write sites).
 */
public final class TestMemorySites {
  private TestMemorySites() {}

  /** False when no step is open on this thread or the ring is full. */
  public static boolean write(String site, int series, long bytes, long count) {
    return ThreadRegistry.local().writeMemorySite(site, series, bytes, count, System.nanoTime());
  }
}
