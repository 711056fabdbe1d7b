package io.mltrace.gpu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Says whether the bridge's default search could find a libcupti at all, before the bridge is loaded: on a machine
 * without CUDA the agent then never calls {@link System#load} (which JDK 24+ reports as a restricted call on
 * stderr). It looks where the dynamic loader would: libraries already mapped in this process, LD_LIBRARY_PATH, the
 * folders of /etc/ld.so.conf.d, the usual system folders and CUDA toolkit folders. The bridge's own search stays
 * the authority: this only skips loading it when nothing is anywhere.
 */
final class CuptiLocator {
  private CuptiLocator() {}

  /** True when a file named {@code libcupti.so*} is mapped in this process or sits in one of the folders. */
  static boolean anywhere() {
    return mapped(read(Paths.get("/proc/self/maps"))) || inFolders(folders());
  }

  static boolean mapped(String procMaps) {
    return procMaps.contains("/libcupti.so");
  }

  static boolean inFolders(List<Path> folders) {
    for (Path dir : folders) {
      // File.list, not a DirectoryStream with a glob: a system library folder holds thousands of names, and matching
      // each against the glob's pattern in a cold JVM took 20-25 ms of premain on a machine without CUDA (issue 22).
      String[] names = dir.toFile().list();
      if (names == null) {
        continue; // not a folder, or unreadable: holds nothing we could load
      }
      for (String name : names) {
        if (name.startsWith("libcupti.so")) {
          return true;
        }
      }
    }
    return false;
  }

  static List<Path> folders() {
    List<Path> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String d : ld.split(":")) {
        if (!d.isEmpty()) {
          dirs.add(Paths.get(d));
        }
      }
    }
    try (DirectoryStream<Path> confs = Files.newDirectoryStream(Paths.get("/etc/ld.so.conf.d"), "*.conf")) {
      for (Path conf : confs) {
        for (String line : read(conf).split("\n")) {
          String l = line.trim();
          if (l.startsWith("/")) {
            dirs.add(Paths.get(l));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // no ld.so.conf.d: the fixed folders below remain
    }
    for (String d : new String[] {"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/lib/x86_64-linux-gnu",
        "/usr/local/lib", "/usr/local/cuda/lib64", "/usr/local/cuda/extras/CUPTI/lib64"}) {
      dirs.add(Paths.get(d));
    }
    String cudaHome = System.getenv("CUDA_HOME");
    if (cudaHome != null) {
      dirs.add(Paths.get(cudaHome, "lib64"));
      dirs.add(Paths.get(cudaHome, "extras", "CUPTI", "lib64"));
    }
    try (DirectoryStream<Path> cudas = Files.newDirectoryStream(Paths.get("/usr/local"), "cuda-*")) {
      for (Path c : cudas) {
        dirs.add(c.resolve("lib64"));
        dirs.add(c.resolve("extras/CUPTI/lib64"));
      }
    } catch (IOException | RuntimeException e) {
      // no toolkit folders
    }
    return dirs;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
