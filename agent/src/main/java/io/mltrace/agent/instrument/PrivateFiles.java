package io.mltrace.agent.instrument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Checks that a folder and a file in it are this user's own, not links, and writable by no one else: the woven
 * class cache's bytes become framework code, so a file another user could have written is never read.
 */
final class PrivateFiles {
  /** This process's user as the file system names it: the owner of a file it created (user.name may not be). */
  private static volatile UserPrincipal me;

  private PrivateFiles() {}

  /**
   * Throws unless {@code dir} (and {@code file} in it, when not null) are this user's and writable by no one else;
   * passes on a file system without POSIX owners and modes.
   */
  static void check(Path dir, Path file) throws IOException {
    if (!Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      return;
    }
    Path[] paths = file == null ? new Path[] {dir} : new Path[] {dir, file};
    for (Path p : paths) {
      if (Files.isSymbolicLink(p)) {
        throw new IOException(p + " is a symbolic link");
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
      if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new IOException(p + " is open to other users (" + PosixFilePermissions.toString(perms) + ")");
      }
    }
    UserPrincipal user = me == null ? probeUser(dir) : me;
    for (Path p : paths) {
      PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.owner().equals(user)) {
        throw new IOException(p + " belongs to " + a.owner().getName() + ", not " + user.getName());
      }
    }
  }

  private static UserPrincipal probeUser(Path dir) throws IOException {
    Path probe = Files.createTempFile(dir, ".owner-", "");
    try {
      UserPrincipal owner = Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
      me = owner;
      return owner;
    } finally {
      Files.deleteIfExists(probe);
    }
  }
}
