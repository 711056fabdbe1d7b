package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bridge jar goes on the bootstrap path only from a folder and a file no other user can write. */
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
}
