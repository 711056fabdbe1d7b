package io.mltrace.gpu;

/**
 * The launch side of the fake libcupti ({@code collector/src/test/c/fake_cupti.c}) for a child JVM: its JNI
 * functions are named for this class. The agent's CUPTI bridge {@code dlopen}s the same file (option
 * {@code cupti_path}), so the kernels and copies launched here reach the agent as CUPTI activity records.
 */
public final class FakeCupti {
  /** CUPTI's host-to-device copy kind. */
  public static final int COPY_H2D = 1;

  static {
    System.load(System.getProperty("mltrace.test.fakeCupti"));
  }

  private FakeCupti() {}

  /** A kernel that runs for {@code durationNs} on the calling thread (device 0, stream 7). */
  public static native void launchKernel(String name, long durationNs);

  /** A copy of {@code bytes} that runs for {@code durationNs} on the calling thread (device 0, stream 7). */
  public static native void copy(int copyKind, long bytes, long durationNs);

  /**
   * An asynchronous kernel launch, as a real one: the API call takes {@code apiNs} on the calling thread, and the
   * kernel runs on the device for {@code durationNs} from {@code delayNs} after the API call began, whatever the
   * host does meanwhile (device 0, stream 7).
   */
  public static native void launchKernelAfter(String name, long apiNs, long delayNs, long durationNs);

  /** An asynchronous copy, as {@link #launchKernelAfter}. */
  public static native void copyAfter(int copyKind, long bytes, long apiNs, long delayNs, long durationNs);
}
