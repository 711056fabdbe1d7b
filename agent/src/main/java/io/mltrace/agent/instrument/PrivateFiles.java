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
 * Checks that a folder and a file in it are this user's own, not links, and writable by no one else: files the agent
 * later runs as code (the bridge jar on the boot class path, the weaving cache's classes) are never read from a place
 * another user could have written.
 */
public final class PrivateFiles {
  /** This process's user as the file system names it: the owner of a file it created (user.name may not be). */
  private static volatile UserPrincipal me;
  /** {@link #posixStore} by folder: the few folders the agent keeps files in. */
  private static final java.util.Map<Path, Boolean> POSIX_STORES = new java.util.concurrent.ConcurrentHashMap<>();

  private PrivateFiles() {}

  /**
   * Throws unless {@code dir} (and {@code file} in it, when not null) are not links, are this user's and writable by
   * no one else; with {@code closedFolder}, no one else may enter the folder either. On a file system without POSIX
   * owners and modes only the links are checked.
   */
  public static void check(Path dir, Path file, boolean closedFolder) throws IOException {
    Path[] paths = file == null ? new Path[] {dir} : new Path[] {dir, file};
    if (!posixStore(dir)) {
      for (Path p : paths) {
        if (Files.isSymbolicLink(p)) {
          throw new IOException(p + " is a symbolic link");
        }
      }
      return;
    }
    // One stat a path answers all three questions (a weaving cache checks its folder and a file for every class it
    // answers, in premain and on the loading threads: issue 22).
    PosixFileAttributes[] attributes = new PosixFileAttributes[paths.length];
    for (int i = 0; i < paths.length; i++) {
      attributes[i] = Files.readAttributes(paths[i], PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }
    for (int i = 0; i < paths.length; i++) {
      if (attributes[i].isSymbolicLink()) {
        throw new IOException(paths[i] + " is a symbolic link");
      }
    }
    for (int i = 0; i < paths.length; i++) {
      Set<PosixFilePermission> perms = attributes[i].permissions();
      if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)
          || closedFolder && i == 0 && (perms.contains(PosixFilePermission.GROUP_EXECUTE)
              || perms.contains(PosixFilePermission.OTHERS_EXECUTE))) {
        throw new IOException(paths[i] + " is open to other users (" + PosixFilePermissions.toString(perms) + ")");
      }
    }
    UserPrincipal user = me == null ? probeUser(dir) : me;
    for (int i = 0; i < paths.length; i++) {
      if (!attributes[i].owner().equals(user)) {
        throw new IOException(paths[i] + " belongs to " + attributes[i].owner().getName() + ", not " + user.getName());
      }
    }
  }

  /**
   * Whether {@code dir}'s file store has POSIX owners and modes; asked once a folder: on Linux each answer reads the
   * mount table (about 0.5 ms interpreted, and a cache check runs for every class it answers).
   */
  private static boolean posixStore(Path dir) throws IOException {
    Boolean known = POSIX_STORES.get(dir);
    if (known == null) {
      known = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
      if (POSIX_STORES.size() < 64) {
        POSIX_STORES.put(dir, known);
      }
    }
    return known;
  }

  /**
   * Creates {@code dir} rwx------ (its parents as the umask says) if it does not exist, then checks that it is this
   * user's and writable by no one else ({@link #check(Path, Path)}); returns it.
   */
  public static Path folder(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir.getParent());
      try {
        if (Files.getFileStore(dir.getParent()).supportsFileAttributeView(PosixFileAttributeView.class)) {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
              "rwx------")));
        } else {
          Files.createDirectory(dir);
        }
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // another JVM made it meanwhile: checked below like any other
      }
    }
    PrivateFiles.check(dir, null);
    return dir;
  }

  /** As {@link #check(Path, Path, boolean)}, others allowed to enter the folder (a cache folder the user chose). */
  static void check(Path dir, Path file) throws IOException {
    check(dir, file, false);
  }

  private static UserPrincipal probeUser(Path dir) throws IOException {
    // Linux: this process's own /proc folder belongs to its effective user, as a file it creates would; reading its
    // owner is a stat, where the temporary file below costs about 18 ms of premain (SecureRandom's start-up).
    Path self = Path.of("/proc/self");
    if (Files.isDirectory(self)) {
      try {
        UserPrincipal owner = Files.getOwner(self);
        me = owner;
        return owner;
      } catch (IOException | UnsupportedOperationException | SecurityException e) {
        // no /proc ownership to read here: the probe below tells
      }
    }
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
