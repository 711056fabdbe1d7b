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
}
