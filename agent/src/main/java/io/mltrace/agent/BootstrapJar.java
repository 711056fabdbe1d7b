package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Copies the bridge classes ({@code io/mltrace/bootstrap/}) out of the agent jar into a jar of their own (kept in the
 * weaving cache's folder for the next JVM, or a temporary one) and appends it to the bootstrap class path.
 *
 * <p>Why: advice is inlined into framework classes, whose class loader may not see the agent jar. Every loader
 * delegates to the bootstrap loader, so a bridge there is reachable from all of them, and it is one copy: the
 * collector (system loader) and the advice read and write the same static state. Must run before any
 * {@code io.mltrace.bootstrap} class is loaded.
 */
final class BootstrapJar {
  static final String PREFIX = "io/mltrace/bootstrap/";
  /** How the cached bridges' names begin in the weaving cache's folder (its plan folders are folders, these files). */
  static final String BRIDGE = "bridge-";
  /** Cached bridges kept at most (one per agent jar build; the oldest go first). */
  static final int MAX_BRIDGES = 8;

  /**
   * The agent jar's contents in a few hex digits (every entry's name, size and CRC, as its central directory has
   * them): the weaving cache's plan changes with any rebuilt class. Empty until {@link #append} has run.
   */
  private static volatile String fingerprint = "";
  /** Where the bridge came from: {@code from the cache}, {@code copied to the cache} or {@code copied}. */
  private static volatile String origin = "";

  private BootstrapJar() {}

  static String fingerprint() {
    return fingerprint;
  }

  /** How {@link #append} found the bridge, for the start-up log. */
  static String origin() {
    return origin;
  }

  /**
   * Puts the bridge on the bootstrap class path: the copy kept in the weaving cache's folder for this agent jar when
   * there is one (written there first when not), else a fresh copy in a private temporary folder. {@code args} are
   * the agent's arguments: {@code weave_cache=off} keeps the cache out of it, {@code weave_cache_dir} moves it.
   */
  static void append(Instrumentation inst, String args) throws IOException, URISyntaxException {
    File agentJar = new File(MltraceAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!agentJar.isFile()) {
      throw new IOException("the agent is not running from a jar: " + agentJar);
    }
    Path root = cacheRoot(args, System.getProperties(), System.getenv());
    Path jar = null;
    if (root != null) {
      try {
        jar = cached(agentJar, root);
      } catch (IOException | RuntimeException e) {
        // The weaving cache says why when it finds the same folder unusable; the bridge just takes the long way.
        jar = null;
      }
    }
    if (jar == null) {
      jar = freshCopy(agentJar);
      origin = "copied";
    }
    inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
  }

  /**
   * The weaving cache's folder as {@code AgentOptions} will read it ({@code weave_cache_dir}, else
   * {@code $XDG_CACHE_HOME/mltrace/woven} or {@code ~/.cache/mltrace/woven}); null when {@code weave_cache=off}. Read
   * here by hand because the options' class needs the bridge.
   */
  static Path cacheRoot(String args, java.util.Properties properties, java.util.Map<String, String> env) {
    if (!"on".equals(setting("weave_cache", "on", args, properties, env))) {
      return null;
    }
    String dir = setting("weave_cache_dir", "", args, properties, env);
    if (!dir.isEmpty()) {
      return Path.of(dir);
    }
    return cacheBase(env, properties).resolve("woven");
  }

  /** The agent's cache folder: {@code $XDG_CACHE_HOME/mltrace}, else {@code ~/.cache/mltrace}. */
  static Path cacheBase(java.util.Map<String, String> env, java.util.Properties properties) {
    String xdg = env.get("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(properties.getProperty("user.home"), ".cache");
    return base.resolve("mltrace");
  }

  /** One option as {@code AgentOptions.parse} resolves it: the agent's arguments over the property over the env. */
  private static String setting(String key, String fallback, String args, java.util.Properties properties,
      java.util.Map<String, String> env) {
    String value = fallback;
    String fromEnv = env.get("MLTRACE_" + key.toUpperCase(java.util.Locale.ROOT));
    if (fromEnv != null && !fromEnv.isEmpty()) {
      value = fromEnv.trim();
    }
    String fromProperty = properties.getProperty("mltrace." + key);
    if (fromProperty != null && !fromProperty.isEmpty()) {
      value = fromProperty.trim();
    }
    if (args != null) {
      for (String pair : args.split(",")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).trim().equals(key)) {
          value = pair.substring(eq + 1).trim();
        }
      }
    }
    return value;
  }

  /**
   * The bridge of {@code agentJar} in {@code root}, named by the agent jar's size, modification time and file key
   * (device and inode): a rebuilt or replaced agent jar gets a bridge of its own. Why: copying the bridge means
   * reading the central directory of a 7,000-entry jar and deflating 48 classes, every JVM (issue 22). The jar's
   * comment carries the agent jar's fingerprint, so a JVM that finds it reads nothing of the agent jar. Written as a
   * temporary file and renamed; read only when the folder and the file are this user's and writable by no one else.
   */
  static Path cached(File agentJar, Path root) throws IOException {
    io.mltrace.agent.instrument.PrivateFiles.folder(root);
    BasicFileAttributes a = Files.readAttributes(agentJar.toPath(), BasicFileAttributes.class);
    Path jar = root.resolve(BRIDGE + Long.toHexString(a.size()) + "-" + Long.toHexString(a.lastModifiedTime()
        .toMillis()) + "-" + Integer.toHexString(java.util.Objects.hashCode(a.fileKey())) + ".jar");
    if (Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)) {
      io.mltrace.agent.instrument.PrivateFiles.check(root, jar, false);
      String kept = fingerprintOf(jar);
      if (kept != null) {
        fingerprint = kept;
        origin = "from the cache";
        return jar;
      }
    }
    Path tmp = Files.createTempFile(root, BRIDGE, ".tmp", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    try {
      String made = copyBridge(agentJar, tmp, true);
      Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      io.mltrace.agent.instrument.PrivateFiles.check(root, jar, false);
      fingerprint = made;
      origin = "copied to the cache";
    } finally {
      Files.deleteIfExists(tmp);
    }
    prune(root, jar);
    return jar;
  }

  /** The fingerprint a cached bridge carries; null when it is torn or not one this cache wrote (then rewritten). */
  private static String fingerprintOf(Path jar) {
    try (JarFile j = new JarFile(jar.toFile())) {
      String kept = j.getComment();
      return isFingerprint(kept) && j.getEntry(PREFIX + "Recorder.class") != null ? kept : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * True for {@code [0-9a-f]+-[0-9]+-[0-9]+}, the form {@link #copyBridge} writes; checked by hand, not by a regular
   * expression: this runs in premain on every launch (issue 22).
   */
  static boolean isFingerprint(String s) {
    if (s == null) {
      return false;
    }
    int part = 0;
    int digits = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '-') {
        if (digits == 0 || ++part > 2) {
          return false;
        }
        digits = 0;
      } else if (c >= '0' && c <= '9' || part == 0 && c >= 'a' && c <= 'f') {
        digits++;
      } else {
        return false;
      }
    }
    return part == 2 && digits > 0;
  }

  /**
   * Deletes the oldest bridges beyond {@link #MAX_BRIDGES}, and temporary files a crashed JVM left, but nothing
   * younger than an hour: a JVM that appended a bridge opens it moments later, and keeps it open.
   */
  private static void prune(Path root, Path current) {
    long young = System.currentTimeMillis() - 3_600_000L;
    List<Path> bridges = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, BRIDGE + "*")) {
      for (Path p : ds) {
        if (p.equals(current) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (p.getFileName().toString().endsWith(".tmp")) {
          if (Files.getLastModifiedTime(p).toMillis() < young) {
            Files.deleteIfExists(p);
          }
        } else {
          bridges.add(p);
        }
      }
      bridges.sort(java.util.Comparator.comparingLong(BootstrapJar::modified).reversed());
      for (Path old : bridges.subList(Math.min(bridges.size(), MAX_BRIDGES - 1), bridges.size())) {
        if (modified(old) < young) {
          Files.deleteIfExists(old);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Pruning is housekeeping: a folder that cannot be listed keeps its files.
    }
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  /** A fresh copy in a private temporary folder, deleted at exit: without a cache (or one that cannot be used). */
  private static Path freshCopy(File agentJar) throws IOException {
    // A folder of our own (created rwx------, under a fresh random name) so that no other user can swap the jar
    // between our write and the JVM's read; checked again before use in case the temp folder is not what it seems.
    Path dir = Files.createTempDirectory("mltrace-");
    dir.toFile().deleteOnExit();
    Path tmp = dir.resolve("mltrace-bootstrap.jar");
    if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    tmp.toFile().deleteOnExit();
    fingerprint = copyBridge(agentJar, tmp, false);
    checkPrivate(dir, tmp);
    return tmp;
  }

  /**
   * Copies the bridge classes of {@code agentJar} into {@code target} and returns the agent jar's fingerprint
   * (also the target's comment when {@code commented}).
   */
  private static String copyBridge(File agentJar, Path target, boolean commented) throws IOException {
    int copied = 0;
    String made;
    try (JarFile source = new JarFile(agentJar);
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(target))) {
      Enumeration<JarEntry> entries = source.entries();
      java.util.zip.CRC32 contents = new java.util.zip.CRC32();
      long count = 0;
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        contents.update(e.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        contents.update(java.nio.ByteBuffer.allocate(16).putLong(e.getSize()).putLong(e.getCrc()).array());
        count++;
        if (e.isDirectory() || !e.getName().startsWith(PREFIX)) {
          continue;
        }
        out.putNextEntry(new JarEntry(e.getName()));
        try (InputStream in = source.getInputStream(e)) {
          copy(in, out);
        }
        out.closeEntry();
        copied++;
      }
      made = Long.toHexString(contents.getValue()) + "-" + count + "-" + agentJar.length();
      if (commented) {
        out.setComment(made);
      }
    }
    if (copied == 0) {
      throw new IOException("no bridge classes under " + PREFIX + " in " + agentJar);
    }
    return made;
  }

  /**
   * Throws unless the folder and the jar in it are this user's own, not links, and writable by no one else: the
   * bridge runs on the bootstrap class path with every permission, so a jar someone else could have written is
   * never loaded.
   */
  static void checkPrivate(Path dir, Path jar) throws IOException {
    try {
      io.mltrace.agent.instrument.PrivateFiles.check(dir, jar, true);
    } catch (IOException e) {
      throw new IOException("refusing the bridge jar: " + e.getMessage(), e);
    }
  }

  private static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
    }
  }
}
