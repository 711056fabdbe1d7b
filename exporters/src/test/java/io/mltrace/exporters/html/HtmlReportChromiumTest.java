package io.mltrace.exporters.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Category;
import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of real steps, opened from a file URL by a real headless Chromium (Debian's package): the script runs
 * without errors and draws every chart; a screenshot is kept in {@code target/report-screenshot.png}.
 */
class HtmlReportChromiumTest {
  static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
  static final int STEPS = 6;

  @TempDir
  Path dir;

  @Test
  void chromiumRendersEveryChartWithoutScriptErrors() throws Exception {
    Path report = dir.resolve("report.html");
    RecordedSteps recorded = RecordedSteps.run(STEPS,
        new HtmlReportWriter(report, 1000, List.of(Category.GEMM, Category.DATA, Category.FRAMEWORK)));
    String html = Files.readString(report);
    assertFalse(Pattern.compile("(src|href)\\s*=\\s*[\"']?(https?:)?//").matcher(html).find(),
        "the report loads nothing from the network");

    String dom = chromium("--dump-dom", report);
    assertTrue(dom.contains("data-rendered=\"ok\""), dom);
    assertFalse(dom.contains("data-errors=\""), dom);
    assertTrue(dom.contains("<div id=\"errors\"></div>"), "no script error shown");
    int segments = 0;
    for (Step s : recorded.steps) {
      for (Category c : Category.values()) {
        segments += s.breakdown().ns(c) > 0 ? 1 : 0;
      }
    }
    assertEquals(segments, count(dom, "class=\"seg\""), "one stacked segment per non-zero category per step");
    assertTrue(count(dom, "class=\"arc\"") >= 2, "donut has an arc per non-zero category");
    assertEquals(2, count(dom, "class=\"bar\""), "the GEMM bar in the by-time and in the by-FLOPs chart");
    assertEquals(RecordedSteps.SPANS_PER_STEP, count(dom, "class=\"span\""), "the step and its five spans");
    assertTrue(dom.contains("<div id=\"gpu-idle-section\" hidden=\"\">"), "no GPU tables without GPU records");
    assertTrue(dom.contains("<div id=\"memory-section\" hidden=\"\">"), "no memory charts without memory series");
    assertTrue(html.contains("\"memory\": null"), "no memory data without memory series");
    Matcher d = Pattern.compile("<path d=\"M [^\"]+\"").matcher(dom);
    assertTrue(d.find(), "non-empty SVG path data");
    assertTrue(dom.contains(">matmul<"), "the op is named in the top-ops chart");

    Path shot = Paths.get("target", "report-screenshot.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    chromium("--screenshot=" + shot, report);
    assertTrue(Files.size(shot) > 10_000, "a screenshot with content: " + Files.size(shot) + " bytes");
  }

  @Test
  void hostFramesAndGpuRecordsOfTheSampledStepAreDrawn() throws Exception {
    Path report = dir.resolve("report.html");
    RecordedSteps recorded = RecordedSteps.runWithActivities(STEPS,
        new HtmlReportWriter(report, 1000, List.of(Category.GEMM, Category.DATA, Category.FRAMEWORK)));
    for (Step s : recorded.steps) {
      assertEquals(1, s.hostFrames().get(RecordedSteps.FRAME), "the sample fell in framework time: " + s.hostFrames());
    }
    String dom = chromium("--dump-dom", report);
    assertTrue(dom.contains("data-rendered=\"ok\""), dom);
    assertFalse(dom.contains("data-errors=\""), dom);
    assertEquals(1, count(dom, "class=\"frame-bar\""), "one bar for the one sampled frame");
    assertTrue(dom.contains(">" + RecordedSteps.FRAME + "<"), "the frame is named");
    assertTrue(dom.contains(">100.0%<"), "all " + STEPS + " samples have that top frame");
    assertTrue(dom.contains(STEPS + " execution samples fell in framework"), dom);
    assertEquals(RecordedSteps.GPU_RECORDS_PER_STEP, count(dom, "class=\"gpu\""),
        "the sampled step's kernel and copy on the timeline");
    assertTrue(dom.contains(">GPU 0 stream " + RecordedSteps.KERNEL_STREAM + "<"), "a row per stream");
    assertTrue(dom.contains(">GPU 0 stream " + RecordedSteps.COPY_STREAM + "<"), "a row per stream");
    assertTrue(dom.contains(">" + RecordedSteps.KERNEL + " (gemm, GPU 0 stream 7): 0.200 ms<"), dom);
    assertEquals(RecordedSteps.SPANS_PER_STEP, count(dom, "class=\"span\""), "the host spans are unchanged");
    // The GPU idle split and launch tables: a row per stream, a row for the launching op, with its delays.
    assertTrue(dom.contains("<div id=\"gpu-idle-section\">"), "shown for a GPU run: " + dom);
    assertTrue(dom.contains("<td>GPU 0 stream " + RecordedSteps.KERNEL_STREAM + "</td><td>" + STEPS + "</td>"), dom);
    assertTrue(dom.contains("<td>GPU 0 stream " + RecordedSteps.COPY_STREAM + "</td><td>" + STEPS + "</td>"), dom);
    assertTrue(dom.contains("<td>matmul</td><td>" + 2 * STEPS + "</td><td>0</td>"), "launches, none unknown: " + dom);
    assertTrue(dom.contains("<td>0.044 ms</td>"), "the kernel's launch delay, 50 - 6 µs, is the largest: " + dom);
    Path shot = Paths.get("target", "report-gpu-screenshot.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    chromium("--screenshot=" + shot, report);
    assertTrue(Files.size(shot) > 10_000, "a screenshot with content: " + Files.size(shot) + " bytes");
  }

  @Test
  void memoryLevelsFlowsAndTheLeakSuspectAreDrawn() throws Exception {
    Path report = dir.resolve("report.html");
    int steps = RecordedSteps.STEPS_TO_FIND_A_LEAK;
    Path small = dir.resolve("small-report.html");
    RecordedSteps recorded = RecordedSteps.runWithMemory(steps, false,
        new HtmlReportWriter(report, 1000, List.of(Category.GEMM, Category.DATA, Category.FRAMEWORK)),
        new HtmlReportWriter(small, 10, List.of(Category.GEMM)));
    JsonNode memory = embeddedData(report).get("memory");
    assertEquals(1, memory.get("every").asLong());
    List<String> keys = new ArrayList<>();
    memory.get("series").forEach(s -> keys.add(s.get("key").asText()));
    assertEquals(List.of("heap_allocated_bytes", "arrays_live_bytes", "arrays_live", "arrays_created_bytes"), keys);
    assertEquals(steps, memory.get("rows").size());
    for (int i = 0; i < steps; i++) {
      JsonNode row = memory.get("rows").get(i);
      assertEquals(recorded.steps.get(i).number(), row.get(0).asLong());
      assertEquals(RecordedSteps.liveBytesAfterStep(i + 1), row.get(2).asLong());
      assertEquals(RecordedSteps.CREATED_BYTES_PER_STEP, row.get(4).asLong());
    }
    JsonNode holders = memory.get("holders");
    assertEquals(2, holders.size(), holders::toString);
    assertEquals(RecordedSteps.KEPT_HOLDER, holders.get(0).get("holder").asText(), "largest first: " + holders);
    assertEquals(steps, holders.get(0).get("steps").asLong());
    assertEquals(RecordedSteps.LEAK_BYTES_PER_STEP, holders.get(0).get("mean_bytes").asLong());
    assertEquals(RecordedSteps.BATCH_HOLDER, holders.get(1).get("holder").asText());
    assertEquals(RecordedSteps.BATCH_ALIVE_BYTES, holders.get(1).get("max_bytes").asLong());
    assertEquals(recorded.steps.get(steps - 1).number(), holders.get(1).get("last_step").asLong());
    JsonNode leak = memory.get("leaks").get(0);
    assertEquals(1, memory.get("leaks").size(), memory.get("leaks")::toString);
    assertEquals("arrays_live_bytes", leak.get("series").asText());
    assertEquals(RecordedSteps.LEAK_BYTES_PER_STEP, leak.get("bytes_per_step").asLong());
    // The sites of the latest detailed step (the run's last): the arrays of every step before it, still alive.
    JsonNode site = leak.get("sites").get(0);
    assertTrue(leak.get("to_step").asLong() - recorded.steps.get(0).number() >= steps - RecordedSteps.JUDGED_EVERY,
        "judged near the run's end: " + leak);
    long before = steps - 1;
    assertEquals(RecordedSteps.LEAK_SITE, site.get("site").asText());
    assertEquals(before * RecordedSteps.LEAK_BYTES_PER_STEP, site.get("bytes").asLong(), leak::toString);
    assertEquals(before, site.get("count").asLong());

    String dom = chromium("--dump-dom", report);
    assertTrue(dom.contains("data-rendered=\"ok\""), dom);
    assertFalse(dom.contains("data-errors=\""), dom);
    assertTrue(dom.contains("<div id=\"memory-section\">"), "shown when steps measured memory");
    assertEquals(1, count(dom, "class=\"mem-area\""), "the live arrays, the one stacked level");
    assertEquals(2, count(dom, "class=\"mem-line\""), "the two flows: heap allocated, arrays created");
    assertTrue(dom.contains("<td>arrays_live_bytes</td><td>1.0 MiB</td>"), "the suspect and its growth: " + dom);
    assertTrue(dom.contains("Counts (arrays_live) are in summary.json."), "count series are named: " + dom);
    assertTrue(dom.contains("<div class=\"leak-site\">" + RecordedSteps.LEAK_SITE + ": " + before + ".0 MiB in "
        + before + "</div>"), "the creation site with its bytes: " + dom);
    assertTrue(dom.contains("<div id=\"holders-section\">"), "shown when steps name their survivors' holders");
    assertTrue(dom.contains("<td>" + RecordedSteps.KEPT_HOLDER + "</td><td>" + steps + "</td><td>1.0 MiB</td>"),
        "the holder, its steps and bytes: " + dom);

    // Bounded at 10 rows, the chart still spans the run: every 8th of the 48 steps once it has halved three times.
    JsonNode thinned = embeddedData(small).get("memory");
    assertEquals(8, thinned.get("every").asLong());
    List<Long> kept = new ArrayList<>();
    thinned.get("rows").forEach(r -> kept.add(r.get(0).asLong()));
    List<Long> expected = new ArrayList<>();
    for (int k = 0; k < steps; k += 8) {
      expected.add(recorded.steps.get(k).number());
    }
    assertEquals(expected, kept);
    Path shot = Paths.get("target", "report-memory-screenshot.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    chromium("--screenshot=" + shot, report);
    assertTrue(Files.size(shot) > 10_000, "a screenshot with content: " + Files.size(shot) + " bytes");
  }

  /** The report's embedded data, as its script reads it. */
  private static JsonNode embeddedData(Path report) throws Exception {
    Matcher data = Pattern.compile("<script type=\"application/json\" id=\"mltrace-data\">(.*?)</script>",
        Pattern.DOTALL).matcher(Files.readString(report));
    assertTrue(data.find());
    return new ObjectMapper().readTree(data.group(1).replace("<\\/", "</"));
  }

  private String chromium(String what, Path report) throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      throw new AssertionError(CHROMIUM + " is missing: run .ci/setup (./mltrace test runs it) first");
    }
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
        "--user-data-dir=" + dir.resolve("profile"), "--window-size=1280,1900", "--virtual-time-budget=5000",
        what, report.toUri().toString()));
    Path out = dir.resolve("chromium.out");
    Path err = dir.resolve("chromium.err");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium timed out: " + Files.readString(err));
    }
    assertEquals(0, p.exitValue(), () -> "chromium failed: " + readQuietly(err));
    return Files.readString(out);
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
