package io.mltrace.agent.instrument;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

/**
 * What Byte Buddy made of each class a JVM loaded, kept on disk for the next JVM with the same agent and hooks: the
 * woven class file, or "unchanged", with the frameworks whose hooks applied and the lines it printed. A later JVM
 * answers those classes from here, without building Byte Buddy's transformer or running its matching and weaving
 * (issue 22: 0.7 s of a 3-step job's added 1.2 s, and most of the JIT's extra work, were Byte Buddy's).
 *
 * <p>Keyed by the hook plan (the agent jar's contents and the options that change the hooks: one folder per plan)
 * and, within it, by the class's name, length and CRC-32 of its bytes as loaded: a framework of another version
 * misses and is woven afresh. The folder is this user's own and private ({@link PrivateFiles}): its bytes are
 * loaded as the framework's code. Several JVMs may share it: files appear by an atomic rename, and the index is
 * appended one line per write (a torn or unknown line is ignored).
 *
 * <p>Thread-safe: classes load on any thread.
 */
final class WovenCache {
  /** Plan folders kept; the least recently used beyond this are deleted when a plan is opened. */
  static final int MAX_PLANS = 8;
  /** Index lines read or written at most per plan (a job loading more classes than this leaves the rest uncached). */
  static final int MAX_ENTRIES = 100_000;
  private static final String INDEX = "index";
  private static final String HOOKS = "hooks";
  private static final String PLAN = "plan";
  private static final String UNCHANGED = "-";
  private static final String END = ".";

  /** One class's outcome. */
  record Entry(String file, String frameworks, String notes) {
    boolean woven() {
      return !file.equals(UNCHANGED);
    }
  }

  private final Path dir;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final List<String[]> hooks;
  private final LongAdder hits = new LongAdder();
  private final LongAdder stored = new LongAdder();
  private volatile boolean writable = true;

  private WovenCache(Path dir, List<String[]> hooks) {
    this.dir = dir;
    this.hooks = hooks;
  }

  /** As {@link #open(Path, String, String)} with the key as the plan's text (tests). */
  static WovenCache open(Path root, String planKey) throws IOException {
    return open(root, planKey, planKey);
  }

  /**
   * Opens (creating it if needed) the folder of one plan under {@code root}, named {@code planKey}, reading what
   * earlier JVMs stored. Throws when the folder cannot be made private to this user, or holds another plan (its
   * {@code plan} file: the text of the plan that made it).
   */
  static WovenCache open(Path root, String planKey, String plan) throws IOException {
    Path parent = PrivateFiles.folder(root);
    Path dir = PrivateFiles.folder(parent.resolve(planKey));
    Files.setLastModifiedTime(dir, FileTime.fromMillis(System.currentTimeMillis()));
    Path planFile = dir.resolve(PLAN);
    if (Files.isRegularFile(planFile, LinkOption.NOFOLLOW_LINKS)) {
      PrivateFiles.check(dir, planFile);
      if (!new String(readAllBytes(planFile), StandardCharsets.UTF_8).equals(plan)) {
        throw new IOException(dir + " holds another plan");
      }
    } else {
      writeAtomically(dir, planFile, plan.getBytes(StandardCharsets.UTF_8));
    }
    List<String[]> hooks = new ArrayList<>();
    Path hooksFile = dir.resolve(HOOKS);
    if (Files.isRegularFile(hooksFile, LinkOption.NOFOLLOW_LINKS)) {
      PrivateFiles.check(dir, hooksFile);
      for (String line : lines(hooksFile)) {
        String[] f = line.split("\t", -1);
        if (f.length == 3) {
          hooks.add(f);
        }
      }
    }
    WovenCache cache = new WovenCache(dir, hooks);
    Path index = dir.resolve(INDEX);
    if (Files.isRegularFile(index, LinkOption.NOFOLLOW_LINKS)) {
      PrivateFiles.check(dir, index);
      for (String line : lines(index)) {
        // name, length, CRC, file, frameworks, notes, and "." last: a line torn by a crash has no end mark
        String[] f = line.split("\t", -1);
        if (f.length == 7 && f[6].equals(END) && cache.entries.size() < MAX_ENTRIES) {
          cache.entries.put(f[0] + "\t" + f[1] + "\t" + f[2], new Entry(f[3], f[4], f[5]));
        }
      }
    }
    return cache;
  }

  /**
   * A file's bytes through {@link FileInputStream}, not {@link Files#readAllBytes}: in premain, on a JVM that has not
   * used NIO's channels yet, the NIO read loaded two dozen classes and cost 10-15 ms for three small files (issue 22).
   * The caller checked the file ({@link PrivateFiles}).
   */
  static byte[] readAllBytes(Path file) throws IOException {
    try (InputStream in = new FileInputStream(file.toFile())) {
      return in.readAllBytes();
    }
  }

  /** The lines of a UTF-8 file that {@link #store} or {@link #storeHooks} wrote ("\n" ends each; "\r\n" too). */
  static List<String> lines(Path file) throws IOException {
    String text = new String(readAllBytes(file), StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      int last = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
      lines.add(text.substring(start, last));
      start = end + 1;
    }
    return lines;
  }

  /**
   * The hooks as the plan's first JVM registered them, in order: {key, label, id}; empty before any was stored.
   */
  List<String[]> hooks() {
    return hooks;
  }

  /** True when an earlier JVM stored classes here: worth answering from the cache before building Byte Buddy. */
  boolean warm() {
    return !hooks.isEmpty() && !entries.isEmpty();
  }

  /** Writes the plan's hook keys, labels and ids once, by the JVM that built the hooks first. */
  void storeHooks(List<String[]> keysAndLabels) {
    if (!hooks.isEmpty() || !writable) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (String[] h : keysAndLabels) {
      sb.append(clean(h[0])).append('\t').append(clean(h[1])).append('\t').append(h[2]).append('\n');
    }
    try {
      writeAtomically(dir, dir.resolve(HOOKS), sb.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      writable = false;
    }
  }

  /** The key of a class as loaded: its name, length and CRC-32. */
  static String key(String internalName, byte[] classFile) {
    CRC32 crc = new CRC32();
    crc.update(classFile, 0, classFile.length);
    return internalName + "\t" + classFile.length + "\t" + Long.toHexString(crc.getValue());
  }

  /** What an earlier JVM made of this class, or null. */
  Entry lookup(String key) {
    Entry e = entries.get(key);
    if (e != null) {
      hits.increment();
    }
    return e;
  }

  /**
   * The woven bytes of the class {@code key}, or null when they cannot be read or the file is another class's (then
   * the class is woven afresh).
   */
  byte[] read(String key, Entry e) {
    try {
      Path file = dir.resolve(e.file());
      PrivateFiles.check(dir, file);
      byte[] content = readAllBytes(file);
      byte[] header = header(key);
      if (content.length < header.length || !java.util.Arrays.equals(content, 0, header.length, header, 0,
          header.length)) {
        return null;
      }
      return java.util.Arrays.copyOfRange(content, header.length, content.length);
    } catch (IOException | RuntimeException ex) {
      return null;
    }
  }

  /** What a woven file starts with: the key of the class it was made from, and a NUL. */
  private static byte[] header(String key) {
    return (key + "\0").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Keeps what Byte Buddy made of a class ({@code woven} null: unchanged), the frameworks that applied and the lines
   * printed. Never throws: a cache that cannot be written stops being written.
   */
  void store(String key, byte[] woven, String frameworks, String notes) {
    if (!writable || entries.size() >= MAX_ENTRIES) {
      return;
    }
    try {
      String file = UNCHANGED;
      if (woven != null) {
        // A name of bounded length and plain characters whatever the class's; the file starts with the whole key.
        String[] k = key.split("\t");
        file = Integer.toHexString(k[0].hashCode()) + "-" + k[2] + "-" + k[1] + ".class";
        byte[] header = header(key);
        byte[] content = java.util.Arrays.copyOf(header, header.length + woven.length);
        System.arraycopy(woven, 0, content, header.length, woven.length);
        writeAtomically(dir, dir.resolve(file), content);
      }
      Entry e = new Entry(file, clean(frameworks), clean(notes));
      String line = key + "\t" + e.file() + "\t" + e.frameworks() + "\t" + e.notes() + "\t" + END + "\n";
      Path index = dir.resolve(INDEX);
      if (!Files.exists(index, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.createFile(index, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (java.nio.file.FileAlreadyExistsException | UnsupportedOperationException created) {
          // another JVM made it first, or no POSIX modes here
        }
      }
      // One write of one line, appended: JVMs sharing the plan interleave whole lines.
      Files.write(index, line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      entries.put(key, e);
      stored.increment();
    } catch (IOException | RuntimeException ex) {
      writable = false;
    }
  }

  long hits() {
    return hits.sum();
  }

  long stored() {
    return stored.sum();
  }

  Path folder() {
    return dir;
  }

  private static void writeAtomically(Path dir, Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(dir, ".tmp-", "");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  /**
   * Deletes the least recently opened plan folders beyond {@link #MAX_PLANS}, never this one. Not part of
   * {@link #open}: at launch it runs beside the job, after premain (a directory walk, a sort by a comparator's lambda:
   * 3-5 ms of premain, issue 22). Never throws.
   */
  void pruneOtherPlans() {
    prune(dir.getParent(), dir);
  }

  /** Deletes the least recently opened plan folders beyond {@link #MAX_PLANS} (never {@code current}). */
  private static void prune(Path parent, Path current) {
    List<Path> plans = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent)) {
      for (Path p : ds) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !p.equals(current)) {
          plans.add(p);
        }
      }
      plans.sort(Comparator.comparing((Path p) -> {
        try {
          return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
          return FileTime.fromMillis(0);
        }
      }).reversed());
      for (Path old : plans.subList(Math.min(plans.size(), MAX_PLANS - 1), plans.size())) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(old)) {
          for (Path f : files) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(old);
      }
    } catch (IOException | RuntimeException e) {
      // another JVM prunes at the same time, or a file is not ours: left for the next
    }
  }
}
