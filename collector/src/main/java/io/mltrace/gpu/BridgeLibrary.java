package io.mltrace.gpu;

import io.mltrace.bootstrap.GpuNative;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Finds the bridge library and loads it through {@link GpuNative#load} (so it binds in GpuNative's loader): an
 * explicit file when given (tests, the GPU check), else the copy in the jar under {@code native/linux-x86_64/},
 * extracted to a temporary file.
 */
final class BridgeLibrary {
  static final String RESOURCE = "/native/linux-x86_64/libmltrace_cupti.so";

  private BridgeLibrary() {}

  /** Returns null when the bridge is loaded, else the reason it cannot be. */
  static String load(String explicitPath) {
    if (GpuNative.isLoaded()) {
      return null;
    }
    if (explicitPath != null) {
      return GpuNative.load(explicitPath);
    }
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return "the CUPTI bridge is built for Linux x86-64 only (this is " + os + " " + arch + ")";
    }
    try (InputStream in = BridgeLibrary.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "the agent jar has no CUPTI bridge (" + RESOURCE + "; it was built without gcc)";
      }
      // In a folder of our own (rwx------): in a shared temp folder another user could swap the library between
      // its write and its load, and it runs inside the JVM.
      Path dir = Files.createTempDirectory("mltrace-cupti-");
      dir.toFile().deleteOnExit();
      Path tmp = dir.resolve("libmltrace-cupti.so");
      tmp.toFile().deleteOnExit();
      Files.copy(in, tmp);
      return GpuNative.load(tmp.toString());
    } catch (Exception e) {
      return "cannot extract the CUPTI bridge: " + e;
    }
  }
}
