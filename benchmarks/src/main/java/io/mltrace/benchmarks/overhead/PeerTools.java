package io.mltrace.benchmarks.overhead;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The jars the peer arms load: this build's agent, and the peers that Maven copied from Maven Central into
 * {@code benchmarks/target/peers/} at package time (async-profiler, the OpenTelemetry Java agent); nothing is
 * downloaded at run time. A peer whose jar is missing makes its arm fail with the reason.
 */
final class PeerTools {
  private final Path agent;
  private final Path peers;
  private final Path work;
  private Path asyncProfilerLibrary;

  PeerTools(Path agent, Path peers, Path work) {
    this.agent = agent;
    this.peers = peers;
    this.work = work;
  }

  Path agent() {
    return agent;
  }

  Path otelAgent() {
    return peerJar("opentelemetry-javaagent-");
  }

  String otelVersion() {
    return version(otelAgent(), "opentelemetry-javaagent-");
  }

  String asyncProfilerVersion() {
    return version(peerJar("async-profiler-"), "async-profiler-");
  }

  /** The async-profiler library for this platform, extracted once from its Maven jar. */
  synchronized Path asyncProfiler() {
    if (asyncProfilerLibrary == null) {
      String arch = System.getProperty("os.arch").equals("aarch64") ? "linux-arm64" : "linux-x64";
      Path jar = peerJar("async-profiler-");
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        ZipEntry entry = zip.getEntry(arch + "/libasyncProfiler.so");
        if (entry == null) {
          throw new IllegalStateException(jar.getFileName() + " holds no " + arch + " library");
        }
        Path library = work.resolve("libasyncProfiler.so");
        try (InputStream in = zip.getInputStream(entry)) {
          Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
        }
        asyncProfilerLibrary = library;
      } catch (IOException e) {
        throw new IllegalStateException("cannot extract async-profiler from " + jar + ": " + e);
      }
    }
    return asyncProfilerLibrary;
  }

  private Path peerJar(String prefix) {
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(peers, prefix + "*.jar")) {
      for (Path jar : jars) {
        return jar;
      }
    } catch (IOException noFolder) {
      // Reported below with the folder's name.
    }
    throw new IllegalStateException("no " + prefix + "*.jar in " + peers + " (mvn -B -q -DskipTests package copies it)");
  }

  private static String version(Path jar, String prefix) {
    String name = jar.getFileName().toString();
    return name.substring(prefix.length(), name.length() - ".jar".length());
  }
}
