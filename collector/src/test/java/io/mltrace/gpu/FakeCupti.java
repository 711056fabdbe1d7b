package io.mltrace.gpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Drives the fake libcupti ({@code collector/src/test/c/fake_cupti.c}), which the collector build compiles into
 * {@code collector/target/native-test/libcupti_fake.so}; its JNI functions are named for this class. The CUPTI
 * bridge {@code dlopen}s the same file (option {@code cupti_path}), so both see one fake CUPTI, and the kernels
 * and copies launched here reach the bridge as CUPTI activity records.
 *
 * <p>The one copy: the collector's tests use it directly, the agent's integration tests (in child JVMs) and the
 * GPU benchmarks through the collector's test jar, which holds only this class. The file: the system property
 * {@code mltrace.test.fakeCupti} (the tests), else {@code mltrace.fakeCupti} (the benchmarks), else the build's
 * path relative to the repository root.
 */
public final class FakeCupti {
  public static final String PATH = Paths.get(System.getProperty("mltrace.test.fakeCupti",
      System.getProperty("mltrace.fakeCupti", "collector/target/native-test/libcupti_fake.so")))
      .toAbsolutePath().toString();
  /** The CUPTI bridge under test (the collector's tests), or null. */
  static final String BRIDGE = System.getProperty("mltrace.test.bridge");
  static final int KIND_CONCURRENT_KERNEL = 10;
  /** CUPTI's host-to-device copy kind. */
  public static final int COPY_H2D = 1;

  static {
    if (!Files.isRegularFile(Path.of(PATH))) {
      throw new IllegalStateException("build the fake libcupti first (mvn package), or set -Dmltrace.fakeCupti: "
          + PATH);
    }
    System.load(PATH);
  }

  private FakeCupti() {}

  /** Resets the fake: enable fails for {@code failEnableKind} (-1: none), and the other behaviours asked for. */
  public static native void configure(int failEnableKind, boolean otherSubscriber, boolean noTimestampCallback,
      boolean holdHostBuffers);

  /** A kernel that runs for {@code durationNs} on the calling thread (device 0, stream 7). */
  public static native void launchKernel(String name, long durationNs);

  /** A copy of {@code bytes} that runs for {@code durationNs} on the calling thread (device 0, stream 7). */
  public static native void copy(int copyKind, long bytes, long durationNs);

  public static native void memset(long bytes, long durationNs);

  /**
   * An asynchronous kernel launch: the API call spins for {@code apiNs} on the calling thread; the kernel runs at
   * {@code [startNs, startNs + durationNs)} on the agent's clock. Returns the API call's start (agent clock).
   */
  public static native long launchKernelAt(String name, long apiNs, long startNs, long durationNs);

  /** An asynchronous copy, as {@link #launchKernelAt}. */
  public static native long copyAt(int copyKind, long bytes, long apiNs, long startNs, long durationNs);

  /**
   * An asynchronous kernel launch, as a real one: the API call takes {@code apiNs} on the calling thread, and the
   * kernel runs on the device for {@code durationNs} from {@code delayNs} after the API call began, whatever the
   * host does meanwhile (device 0, stream 7).
   */
  public static native void launchKernelAfter(String name, long apiNs, long delayNs, long durationNs);

  /** An asynchronous copy, as {@link #launchKernelAfter}. */
  public static native void copyAfter(int copyKind, long bytes, long apiNs, long delayNs, long durationNs);

  /** CUPTI's memory kinds (CUpti_ActivityMemoryKind) the tests use. */
  public static final int MEMORY_DEVICE = 3;
  public static final int MEMORY_PINNED = 2;

  /**
   * A synchronous device memory operation on the calling thread ({@code cudaMalloc}: operation 1, {@code cudaFree}:
   * 2), with its API records and one MEMORY2 record (the real Memory4 layout) when that kind is enabled.
   */
  public static native void memory(int operation, int memoryKind, long address, long bytes);

  /** {@code cudaMalloc} of {@code bytes} device bytes at {@code address}. */
  public static void allocate(long address, long bytes) {
    memory(1, MEMORY_DEVICE, address, bytes);
  }

  /** {@code cudaFree} of the {@code bytes} at {@code address}. */
  public static void free(long address, long bytes) {
    memory(2, MEMORY_DEVICE, address, bytes);
  }

  /** The calling thread's external-correlation stack depth. */
  public static native int correlationDepth();

  static GpuTracing.Options options() {
    return new GpuTracing.Options().bridgePath(BRIDGE).cuptiPath(PATH);
  }
}
