package io.mltrace.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  private BootstrapJar() {}

  static void append(Instrumentation inst) throws IOException, URISyntaxException {
    File agentJar = new File(MltraceAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!agentJar.isFile()) {
      throw new IOException("the agent is not running from a jar: " + agentJar);
    }
    Path tmp = Files.createTempFile("mltrace-bootstrap-", ".jar");
    tmp.toFile().deleteOnExit();
    int copied = 0;
    try (JarFile source = new JarFile(agentJar);
        JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp))) {
      Enumeration<JarEntry> entries = source.entries();
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
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
    }
    if (copied == 0) {
      throw new IOException("no bridge classes under " + PREFIX + " in " + agentJar);
    }
    inst.appendToBootstrapClassLoaderSearch(new JarFile(tmp.toFile()));
  }

  private static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      out.write(buf, 0, n);
    }
  }
}
