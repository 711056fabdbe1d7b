package io.mltrace.exporters.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Category;
import io.mltrace.exporters.testing.FedAlong;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report is written every report interval, each step row rendered once: the report written as the run grows
 * must be the one a single write at its end makes (but for the time it was generated).
 */
class HtmlReportRowsTest {
  @TempDir
  Path dir;

  @Test
  void aReportWrittenAsTheRunGrowsIsTheOneWrittenOnceAtItsEnd() throws Exception {
    HtmlReportWriter growing = new HtmlReportWriter(dir.resolve("growing.html"), 100, List.of(Category.values()));
    HtmlReportWriter once = new HtmlReportWriter(dir.resolve("once.html"), 100, List.of(Category.values()));
    FedAlong alsoOnce = new FedAlong(once);
    for (int run = 0; run < 4; run++) {
      RecordedSteps.run(3, growing, alsoOnce); // each run's collector writes the report when it closes
    }
    String written = withoutGenerated(Files.readString(dir.resolve("growing.html")));
    assertEquals(withoutGenerated(once.render(alsoOnce.lastStats())), written);
    assertTrue(written.contains("\"steps_shown\": 12"), written);
  }

  private static String withoutGenerated(String report) {
    return report.replaceFirst("\"generated\": \"[^\"]*\"", "\"generated\": \"\"");
  }
}
