package io.mltrace.exporters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a file through a temporary sibling and an atomic move, so readers see the old or the new file whole. The
 * one way every file exporter writes (summary, trace, report).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code content} as UTF-8. */
  public static void writeAtomically(Path target, CharSequence content) throws IOException {
    writeAtomically(target, content, false);
  }

  /** Writes {@code content} as UTF-8, gzip-compressed when {@code gzip}. */
  public static void writeAtomically(Path target, CharSequence content, boolean gzip) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    byte[] bytes = content.toString().getBytes(StandardCharsets.UTF_8);
    if (gzip) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        out.write(bytes);
      }
    } else {
      Files.write(tmp, bytes);
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
