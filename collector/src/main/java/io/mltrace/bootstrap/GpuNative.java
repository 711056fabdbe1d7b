package io.mltrace.bootstrap;

import java.nio.ByteBuffer;

/**
 * The JNI entry points of the CUPTI bridge ({@code collector/src/main/c/mltrace_cupti.c}).
 *
 * <p>Why here: under the agent this class sits on the bootstrap path, and a native method binds only in the class
 * loader that loaded its library. {@link #load} therefore calls {@link System#load} from this class, so the bridge
 * belongs to the same loader as the {@link ThreadRecorder} that pushes correlation ids. {@code io.mltrace.gpu}
 * drives everything else through these methods.
 *
 * <p>WARNING: no native method may be called before {@link #load} returned null; {@link GpuCorrelation} gates the
 * hot-path calls.
 */
public final class GpuNative {
  private static boolean loaded;

  private GpuNative() {}

  /** Loads the bridge library from a file; returns null on success (or when already loaded), else the reason. */
  public static synchronized String load(String path) {
    if (loaded) {
      return null;
    }
    try {
      System.load(path);
      loaded = true;
      return null;
    } catch (Throwable t) {
      return "cannot load the CUPTI bridge " + path + ": " + t.getMessage();
    }
  }

  public static synchronized boolean isLoaded() {
    return loaded;
  }

  /**
   * Loads libcupti ({@code cuptiPath}, or an already-loaded or default-found copy when null), checks that no other
   * CUPTI subscriber holds it, registers the buffer and timestamp callbacks. Returns null on success, else why not.
   *
   * @param ring a direct buffer: 128 header bytes then a power of two of 80-byte records
   */
  public static native String open0(String cuptiPath, ByteBuffer ring, int buffers, int bufferBytes,
      int pendingCapacity, int correlationCapacity);

  /** Enables the activity kinds; returns null on success, else why not (and leaves none enabled). */
  public static native String enable0();

  public static native void disable0();

  /** Hands completed buffers to the parser; {@code forced} also hands over partial ones and settles the joins. */
  public static native void flush0(boolean forced);

  /**
   * Turns CUPTI's device memory records (MEMORY2: allocations and releases) on or off, apart from the window's kinds;
   * returns null on success, else why not.
   */
  public static native String memory0(boolean on);

  /** Disables, flushes and detaches the ring. */
  public static native void close0();

  /** Copies the bridge's counters (see {@code io.mltrace.gpu.BridgeCounters}). */
  public static native void counters0(long[] out);

  /** The interned kernel name with this id, or null. */
  public static native String kernelName0(int id);

  /** Pushes an external correlation id (CUSTOM0) on the calling thread's CUPTI stack. */
  public static native void push0(long id);

  /** Pops the calling thread's innermost external correlation id. */
  public static native void pop0();
}
