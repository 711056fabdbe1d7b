package io.mltrace.benchmarks.overhead;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rewrites the generated section of {@code docs/benchmarks.md} (between {@link #BEGIN} and {@link #END}) with a
 * {@code peers} run's description and table ({@code --write-doc}); appends the section, markers included, to a
 * file that has none. Everything outside the markers is left as it was.
 */
final class PeersSection {
  static final String BEGIN = "<!-- peers-table:begin (written by OverheadHarness --method peers --write-doc) -->";
  static final String END = "<!-- peers-table:end -->";

  private PeersSection() {}

  static void write(Path doc, String body) throws IOException {
    String text = Files.isRegularFile(doc) ? Files.readString(doc) : "";
    String section = BEGIN + "\n" + body.strip() + "\n" + END;
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    String updated = begin >= 0 && end > begin
        ? text.substring(0, begin) + section + text.substring(end + END.length())
        : text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + "\n" + section + "\n";
    Files.writeString(doc, updated);
  }
}
