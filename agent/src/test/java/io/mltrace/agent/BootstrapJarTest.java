package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge jar goes on the bootstrap path only from a folder and a file no other user can write; the copy kept in
 * the weaving cache's folder is found by the next JVM of the same agent jar.
 */
class BootstrapJarTest {
  @Test
  void aPrivateFolderAndJarPass(@TempDir Path tmp) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("private"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path jar = Files.createFile(dir.resolve("b.jar"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    assertDoesNotThrow(() -> BootstrapJar.checkPrivate(dir, jar));
  }

  @Test
  void aFolderOthersCanEnterOrWriteIsRefused(@TempDir Path tmp) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("open"));
    Path jar = Files.createFile(dir.resolve("b.jar"));
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-------"));
    for (String mode : new String[] {"rwxrwxrwx", "rwx---r-x", "rwx-w----"}) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
      IOException e = assertThrows(IOException.class, () -> BootstrapJar.checkPrivate(dir, jar), mode);
      assertTrue(e.getMessage().contains("open to other users"), e.getMessage());
    }
  }

  @Test
  void aJarOthersCanWriteOrALinkIsRefused(@TempDir Path tmp) throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("private"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path jar = Files.createFile(dir.resolve("b.jar"));
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThrows(IOException.class, () -> BootstrapJar.checkPrivate(dir, jar));
    Path elsewhere = Files.createFile(tmp.resolve("elsewhere.jar"));
    Path link = Files.createSymbolicLink(dir.resolve("link.jar"), elsewhere);
    IOException e = assertThrows(IOException.class, () -> BootstrapJar.checkPrivate(dir, link));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  /** A small agent jar: two bridge classes and one other entry. */
  private static java.io.File agentJar(Path tmp, String name) throws IOException {
    Path jar = tmp.resolve(name);
    try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      for (String entry : new String[] {BootstrapJar.PREFIX + "Recorder.class", BootstrapJar.PREFIX + "Sampling.class",
          "io/mltrace/agent/AgentRuntime.class"}) {
        out.putNextEntry(new java.util.jar.JarEntry(entry));
        out.write((entry + " " + name).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar.toFile();
  }

  @Test
  void theBridgeIsCopiedIntoTheCacheOnceAndFoundThereByTheNextJvm(@TempDir Path tmp) throws Exception {
    java.io.File agent = agentJar(tmp, "agent.jar");
    Path root = tmp.resolve("cache").resolve("woven");
    Path first = BootstrapJar.cached(agent, root);
    assertEquals("copied to the cache", BootstrapJar.origin());
    String fingerprint = BootstrapJar.fingerprint();
    assertTrue(fingerprint.matches("[0-9a-f]+-3-[0-9]+"), fingerprint);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(first)));
    try (java.util.jar.JarFile j = new java.util.jar.JarFile(first.toFile())) {
      assertEquals(2, j.size(), "only the bridge's classes");
      assertEquals(fingerprint, j.getComment(), "the agent jar's fingerprint travels in the comment");
    }
    Object inode = Files.readAttributes(first, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

    Path second = BootstrapJar.cached(agent, root);
    assertEquals(first, second);
    assertEquals("from the cache", BootstrapJar.origin());
    assertEquals(fingerprint, BootstrapJar.fingerprint());
    assertEquals(inode, Files.readAttributes(second, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
        "not written again");

    // A rebuilt agent jar (other contents, other time) gets a bridge of its own and another fingerprint.
    java.io.File rebuilt = agentJar(tmp, "agent-rebuilt.jar");
    Files.setLastModifiedTime(rebuilt.toPath(), java.nio.file.attribute.FileTime.fromMillis(
        agent.lastModified() + 5_000));
    Path third = BootstrapJar.cached(rebuilt, root);
    assertNotEquals(first, third);
    assertNotEquals(fingerprint, BootstrapJar.fingerprint());
  }

  @Test
  void aCachedBridgeOthersCouldWriteIsNeverUsedAndOneWithoutAFingerprintIsReplaced(@TempDir Path tmp)
      throws Exception {
    java.io.File agent = agentJar(tmp, "agent.jar");
    Path root = tmp.resolve("woven");
    Path jar = BootstrapJar.cached(agent, root);
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
    IOException e = assertThrows(IOException.class, () -> BootstrapJar.cached(agent, root));
    assertTrue(e.getMessage().contains("open to other users"), e.getMessage());

    Files.delete(jar);
    Files.write(jar, new byte[] {'P', 'K'}, java.nio.file.StandardOpenOption.CREATE_NEW);
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-------"));
    assertThrows(IOException.class, () -> new java.util.jar.JarFile(jar.toFile()).close(), "a torn file");
    assertEquals(jar, BootstrapJar.cached(agent, root));
    assertEquals("copied to the cache", BootstrapJar.origin(), "a torn file is written again");
    Files.delete(jar);
    try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new java.util.jar.JarEntry(BootstrapJar.PREFIX + "Recorder.class"));
      out.closeEntry(); // no comment: not a bridge this cache wrote
    }
    assertEquals(jar, BootstrapJar.cached(agent, root));
    assertEquals("copied to the cache", BootstrapJar.origin());
  }

  @Test
  void aCacheFolderOthersCanWriteGetsNoBridge(@TempDir Path tmp) throws Exception {
    Path root = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThrows(IOException.class, () -> BootstrapJar.cached(agentJar(tmp, "agent.jar"), root));
    try (var files = Files.list(root)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void atMostEightBridgesAreKeptButNoneYoungerThanAnHour(@TempDir Path tmp) throws Exception {
    Path root = Files.createDirectory(tmp.resolve("woven"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    long now = System.currentTimeMillis();
    for (int i = 0; i < 10; i++) {
      Path old = Files.createFile(root.resolve(BootstrapJar.BRIDGE + "old" + i + ".jar"));
      Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(now - 7_200_000L - i * 1000L));
    }
    Path young = Files.createFile(root.resolve(BootstrapJar.BRIDGE + "young.jar"));
    Path leftover = Files.createFile(root.resolve(BootstrapJar.BRIDGE + "123.tmp"));
    Files.setLastModifiedTime(leftover, java.nio.file.attribute.FileTime.fromMillis(now - 7_200_000L));
    Path plan = Files.createDirectory(root.resolve("15fa9bf7-36"));
    Path mine = BootstrapJar.cached(agentJar(tmp, "agent.jar"), root);

    assertTrue(Files.exists(mine) && Files.exists(young) && Files.isDirectory(plan));
    assertFalse(Files.exists(leftover), "a crashed JVM's temporary file goes");
    assertTrue(Files.exists(root.resolve(BootstrapJar.BRIDGE + "old0.jar")), "the newest old ones stay");
    assertFalse(Files.exists(root.resolve(BootstrapJar.BRIDGE + "old9.jar")), "the oldest go");
    try (var files = Files.list(root)) {
      assertEquals(BootstrapJar.MAX_BRIDGES, files.filter(p -> p.getFileName().toString().endsWith(".jar")).count());
    }
  }

  @Test
  void theCacheFolderIsReadAsTheOptionsAre() {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user.home", "/home/u");
    assertEquals(Path.of("/home/u/.cache/mltrace/woven"), BootstrapJar.cacheRoot(null, props, java.util.Map.of()));
    assertEquals(Path.of("/x/mltrace/woven"), BootstrapJar.cacheRoot("", props, java.util.Map.of("XDG_CACHE_HOME",
        "/x")));
    assertEquals(Path.of("/c"), BootstrapJar.cacheRoot("mode=full,weave_cache_dir=/c", props, java.util.Map.of()));
    assertNull(BootstrapJar.cacheRoot("weave_cache=off", props, java.util.Map.of()));
    assertNull(BootstrapJar.cacheRoot(null, props, java.util.Map.of("MLTRACE_WEAVE_CACHE", "off")));
    props.setProperty("mltrace.weave_cache", "off");
    assertNull(BootstrapJar.cacheRoot(null, props, java.util.Map.of()));
    assertEquals(Path.of("/home/u/.cache/mltrace/woven"), BootstrapJar.cacheRoot("weave_cache=on", props,
        java.util.Map.of()), "the agent's arguments win over the property");
  }

  @Test
  void theFingerprintCheckAcceptsWhatTheRegularExpressionItReplacedAccepted() {
    String[] samples = {"969493f4-36-12", "0-0-0", "abc-1-2", "ABC-1-2", "abc-1a-2", "abc-1-2-3", "abc--2", "-1-2",
        "abc-1-", "abc-1", "abc", "", "g1-2-3", "12 -3-4", "1f-22-333"};
    for (String s : samples) {
      assertEquals(s.matches("[0-9a-f]+-[0-9]+-[0-9]+"), BootstrapJar.isFingerprint(s), "'" + s + "'");
    }
    assertFalse(BootstrapJar.isFingerprint(null));
  }
}
