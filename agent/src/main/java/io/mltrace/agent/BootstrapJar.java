package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Copies the bridge classes ({@code io/mltrace/bootstrap/}) out of the agent jar into a temporary jar and appends
 * it to the bootstrap class path.
 *
 * <p>Why: advice is inlined into framework classes, whose class loader may not see the agent jar. Every loader
 * delegates to the bootstrap loader, so a bridge there is reachable from all of them, and it is one copy: the
 * collector (system loader) and the advice read and write the same static state. Must run before any
 * {@code io.mltrace.bootstrap} class is loaded.
 */
final class BootstrapJar {
  static final String PREFIX = "io/mltrace/bootstrap/";

  /**
   * The agent jar's contents in a few hex digits (every entry's name, size and CRC, as its central directory has
   * them): the weaving cache's plan changes with any rebuilt class. Empty until {@link #append} has run.
   */
  private static volatile String fingerprint = "";

  private BootstrapJar() {}

  static String fingerprint() {
    return fingerprint;
  }

  static void append(Instrumentation inst) throws IOException, URISyntaxException {
    File agentJar = new File(MltraceAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!agentJar.isFile()) {
      throw new IOException("the agent is not running from a jar: " + agentJar);
    }
    // A folder of our own (created rwx------, under a fresh random name) so that no other user can swap the jar
    // between our write and the JVM's read; checked again before use in case the temp folder is not what it seems.
    Path dir = Files.createTempDirectory("mltrace-");
    dir.toFile().deleteOnExit();
    Path tmp = dir.resolve("mltrace-bootstrap.jar");
    if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    tmp.toFile().deleteOnExit();
    int copied = 0;
    try (JarFile source = new JarFile(agentJar);
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp))) {
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
      fingerprint = Long.toHexString(contents.getValue()) + "-" + count + "-" + agentJar.length();
    }
    if (copied == 0) {
      throw new IOException("no bridge classes under " + PREFIX + " in " + agentJar);
    }
    checkPrivate(dir, tmp);
    inst.appendToBootstrapClassLoaderSearch(new JarFile(tmp.toFile()));
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
