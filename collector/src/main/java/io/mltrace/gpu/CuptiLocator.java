package io.mltrace.gpu;

import java.io.File;
import java.io.IOException;
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

  /** The names the bridge's search loads ({@code find_cupti} in mltrace_cupti.c), nothing else. */
  static final String[] NAMES = {"libcupti.so", "libcupti.so.13", "libcupti.so.12"};

  static boolean inFolders(List<Path> folders) {
    for (Path dir : folders) {
      // A stat for each name the bridge would load, not a listing: a system library folder holds thousands of names
      // (listing and matching them took 5-25 ms of premain on a machine without CUDA, issue 22).
      File folder = dir.toFile();
      for (String name : NAMES) {
        if (new File(folder, name).exists()) {
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
    // Listings with a plain name test, not DirectoryStreams with globs: a glob compiles a regular expression, and
    // the two cost 10-18 ms of a cold premain (issue 22).
    for (String conf : names(new File("/etc/ld.so.conf.d"))) {
      if (!conf.endsWith(".conf")) {
        continue;
      }
      for (String line : read(Paths.get("/etc/ld.so.conf.d", conf)).split("\n")) {
        String l = line.trim();
        if (l.startsWith("/")) {
          dirs.add(Paths.get(l));
        }
      }
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
    for (String c : names(new File("/usr/local"))) {
      if (c.startsWith("cuda-")) {
        dirs.add(Paths.get("/usr/local", c, "lib64"));
        dirs.add(Paths.get("/usr/local", c, "extras/CUPTI/lib64"));
      }
    }
    return dirs;
  }

  /** The names in {@code dir}, sorted; none when it is not a readable folder. */
  private static String[] names(File dir) {
    String[] names = dir.list();
    if (names == null) {
      return new String[0];
    }
    java.util.Arrays.sort(names);
    return names;
  }

  /** A text file, or "" when unreadable; through {@code FileInputStream}: NIO's first read costs premain (issue 22). */
  private static String read(Path p) {
    try (java.io.InputStream in = new java.io.FileInputStream(p.toFile())) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
