package io.mltrace.gpu;

/**
 * Drives the fake libcupti ({@code collector/src/test/c/fake_cupti.c}), which the Maven build compiles into
 * {@code target/native-test/}. The bridge {@code dlopen}s the same file, so both see one fake CUPTI.
 */
final class FakeCupti {
  static final String PATH = System.getProperty("mltrace.test.fakeCupti");
  static final String BRIDGE = System.getProperty("mltrace.test.bridge");
  static final int KIND_CONCURRENT_KERNEL = 10;

  static {
    System.load(PATH);
  }

  private FakeCupti() {}

  /** Resets the fake: enable fails for {@code failEnableKind} (-1: none), and the other behaviours asked for. */
  static native void configure(int failEnableKind, boolean otherSubscriber, boolean noTimestampCallback,
      boolean holdHostBuffers);

  /** A kernel launch that runs for {@code durationNs} on the calling thread. */
  static native void launchKernel(String name, long durationNs);

  static native void copy(int copyKind, long bytes, long durationNs);

  static native void memset(long bytes, long durationNs);

  /**
   * An asynchronous kernel launch: the API call spins for {@code apiNs} on the calling thread; the kernel runs at
   * {@code [startNs, startNs + durationNs)} on the agent's clock. Returns the API call's start (agent clock).
   */
  static native long launchKernelAt(String name, long apiNs, long startNs, long durationNs);

  /** An asynchronous copy, as {@link #launchKernelAt}. */
  static native long copyAt(int copyKind, long bytes, long apiNs, long startNs, long durationNs);

  /** The calling thread's external-correlation stack depth. */
  static native int correlationDepth();

  static GpuTracing.Options options() {
    return new GpuTracing.Options().bridgePath(BRIDGE).cuptiPath(PATH);
  }
}
