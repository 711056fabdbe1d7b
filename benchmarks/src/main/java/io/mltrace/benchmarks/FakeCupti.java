package io.mltrace.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The fake libcupti the collector build makes ({@code collector/target/native-test/libcupti_fake.so}), for the GPU
 * benchmarks on machines without a GPU. Its path: {@code -Dmltrace.fakeCupti=...}, by default relative to the
 * repository root (run the benchmarks from there).
 */
final class FakeCupti {
  static final String PATH = Paths.get(System.getProperty("mltrace.fakeCupti",
      "collector/target/native-test/libcupti_fake.so")).toAbsolutePath().toString();

  static {
    if (!Files.isRegularFile(Path.of(PATH))) {
      throw new IllegalStateException("build the fake libcupti first (mvn package), or set -Dmltrace.fakeCupti: "
          + PATH);
    }
    System.load(PATH);
  }

  private FakeCupti() {}

  static native void configure(int failEnableKind, boolean otherSubscriber, boolean noTimestampCallback,
      boolean holdHostBuffers);

  static native void launchKernel(String name, long durationNs);
}
