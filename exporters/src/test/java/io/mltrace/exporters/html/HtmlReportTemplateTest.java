package io.mltrace.exporters.html;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The report's template as the writer needs it; what the rendered page shows is HtmlReportChromiumTest's. */
class HtmlReportTemplateTest {
  @Test
  void theTemplateIsPlainAscii() throws IOException {
    // One non-ASCII character makes the template a UTF-16 string: every flush's replace and write then copies twice
    // the bytes (issue 22: a short job's exit). Write such characters as escapes (a JavaScript escape in a script,
    // an entity in HTML).
    try (InputStream in = HtmlReportWriter.class.getResourceAsStream(HtmlReportWriter.TEMPLATE)) {
      assertNotNull(in);
      byte[] bytes = in.readAllBytes();
      for (int i = 0; i < bytes.length; i++) {
        assertTrue(bytes[i] >= 0, "non-ASCII byte at offset " + i);
      }
    }
  }
}
