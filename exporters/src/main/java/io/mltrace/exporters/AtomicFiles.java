package io.mltrace.exporters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a file through a temporary sibling and an atomic move, so readers see the old or the new file whole. */
final class AtomicFiles {
  private AtomicFiles() {}

  static void writeAtomically(Path target, CharSequence content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    try {
      Files.write(tmp, content.toString().getBytes(StandardCharsets.UTF_8));
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // A full disk leaves a partial temporary file: remove it, so it takes no more space; the last whole file stays.
      Files.deleteIfExists(tmp);
      throw e;
    }
  }
}
