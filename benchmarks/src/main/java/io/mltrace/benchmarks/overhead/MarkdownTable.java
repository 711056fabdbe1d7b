package io.mltrace.benchmarks.overhead;

import java.util.Locale;

/** The harness's Markdown output: a table's header and rows, collected so they can also go into a file. */
final class MarkdownTable {
  private final StringBuilder text = new StringBuilder();

  /** A table starting with {@code columns}' header and separator lines. */
  MarkdownTable(String... columns) {
    text.append("| ").append(String.join(" | ", columns)).append(" |\n");
    text.append("|").append("---|".repeat(columns.length)).append('\n');
    System.out.print(text);
    System.out.flush();
  }

  /** Adds a row whose cells are {@code format} applied to {@code values} (printed at once, too). */
  void row(String format, Object... values) {
    String row = String.format(Locale.ROOT, format, values) + "\n";
    text.append(row);
    System.out.print(row);
    System.out.flush();
  }

  @Override
  public String toString() {
    return text.toString();
  }
}
