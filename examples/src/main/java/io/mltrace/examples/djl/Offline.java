package io.mltrace.examples.djl;

/**
 * The settings that keep DJL from reaching the network: offline mode (no libtorch download; the native library
 * comes from the {@code pytorch-native-cpu} jar on the class path) and no usage tracking (without it the engine
 * start tries the EC2 metadata address). DJL reads both as system properties or environment variables.
 */
final class Offline {
  private Offline() {}

  static void apply() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }
}
