package io.mltrace.exporters;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a file through a temporary sibling and an atomic move, so readers see the old or the new file whole. The
 * one way every file exporter writes (summary, trace, report).
 */
public final class AtomicFiles {
  /** Chars encoded, and bytes buffered, at a time. */
  private static final int WINDOW = 1 << 16;

  private AtomicFiles() {}

  /** Writes {@code content} as UTF-8. */
  public static void writeAtomically(Path target, CharSequence content) throws IOException {
    writeAtomically(target, content, false);
  }

  /** Writes {@code content} as UTF-8, gzip-compressed when {@code gzip}. */
  public static void writeAtomically(Path target, CharSequence content, boolean gzip) throws IOException {
    byte[] bytes = content.toString().getBytes(StandardCharsets.UTF_8);
    write(target, gzip, out -> out.write(bytes));
  }

  /**
   * Writes {@code parts} one after the other as UTF-8, gzip-compressed when {@code gzip}, a window of each at a time:
   * a large file (a trace near its event limit, 100 MB) is never copied whole into one string and its bytes.
   */
  public static void writeAtomically(Path target, List<? extends CharSequence> parts, boolean gzip)
      throws IOException {
    write(target, gzip, out -> {
      Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), WINDOW);
      for (CharSequence part : parts) {
        for (int from = 0; from < part.length(); from += WINDOW) {
          w.append(part, from, Math.min(part.length(), from + WINDOW));
        }
      }
      w.flush();
    });
  }

  private interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private static void write(Path target, boolean gzip, Content content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    try {
      try (OutputStream file = Files.newOutputStream(tmp);
          OutputStream out = gzip ? new GZIPOutputStream(file, WINDOW) : new BufferedOutputStream(file, WINDOW)) {
        content.writeTo(out);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // A full disk leaves a partial temporary file: remove it, so it takes no more space; the last whole file stays.
      Files.deleteIfExists(tmp);
      throw e;
    }
  }
}
