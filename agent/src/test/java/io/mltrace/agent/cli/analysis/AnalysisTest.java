package io.mltrace.agent.cli.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnalysisTest {
  @TempDir
  Path dir;

  @Test
  void jsonReaderReadsNestingEscapesAndNumbers() {
    Map<String, Object> o = JsonReader.object(JsonReader.parse(
        "{\"a\": [1, -2.5e3, true, null], \"s\": \"x\\\"y\\u00e9\\n\", \"o\": {}}"));
    assertEquals(List.of(1.0, -2500.0, true), JsonReader.array(o.get("a")).subList(0, 3));
    assertEquals("x\"y\u00e9\n", o.get("s"));
    assertEquals(Map.of(), o.get("o"));
    assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("{\"a\": 1} x"));
    assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("{\"a\": }"));
  }

  @Test
  void mannWhitneyMatchesTheNormalApproximationAndIgnoresOrder() {
    double[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    double[] b = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    // U = 0, mean 50, variance 175: z = 49.5 / sqrt(175), p = 0.000182672 (as SciPy's asymptotic test gives).
    assertEquals(0.000182672, Stats.mannWhitneyP(a, b), 1e-8);
    assertEquals(Stats.mannWhitneyP(a, b), Stats.mannWhitneyP(b, a), 1e-12);
    assertEquals(1.0, Stats.mannWhitneyP(new double[] {3, 3, 3}, new double[] {3, 3, 3, 3}));
    assertTrue(Double.isNaN(Stats.mannWhitneyP(new double[] {1, 2}, b)));
    assertTrue(Stats.mannWhitneyP(a, new double[] {1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5}) > 0.5);
  }

  @Test
  void boundsParseInTheirWrittenForms() {
    Bound b = Bound.parse("data <= 10%");
    assertEquals("data", b.metric());
    assertEquals(0.10, b.limit(Double.NaN), 1e-12);
    Bound p95 = Bound.parse("step_p95<=1.2x baseline");
    assertTrue(p95.relativeToBaseline());
    assertEquals(12e6, p95.limit(10e6), 1e-6);
    assertEquals(4e6, Bound.parse("gemm ≤ 4ms").limit(0), 1e-6);
    assertEquals(">=", Bound.parse("gflops >= 2.5").op());
    assertThrows(IllegalArgumentException.class, () -> Bound.parse("data < ten"));
    assertThrows(IllegalArgumentException.class, () -> Bound.parse("data <= 10"));
    assertThrows(IllegalArgumentException.class, () -> Bound.parse("step_p95 <= 3%"));
  }

  @Test
  void aShiftBeyondTheNoiseIsSignificantAndTheRestIsNot() throws Exception {
    Path a = Summaries.write(dir.resolve("a"), 40, Summaries.base(1_000_000, 2_000_000, 500_000), 0.1, 1000, 1, "");
    Path b = Summaries.write(dir.resolve("b"), 40, Summaries.base(2_000_000, 2_000_000, 500_000), 0.1, 1000, 2, "");
    RunDiff diff = new RunDiff(RunProfile.load(a, -1), RunProfile.load(b, -1), RunDiff.Thresholds.DEFAULT);
    List<String> significant = diff.significant().stream().map(c -> c.quantity().key()).toList();
    assertTrue(significant.contains("category|data|time"), significant.toString());
    assertFalse(significant.contains("category|gemm|time"), significant.toString());
    assertFalse(significant.contains("category|framework|time"), significant.toString());
    RunDiff.Change data = diff.changes.stream().filter(c -> c.quantity().key().equals("category|data|time"))
        .findFirst().orElseThrow();
    assertEquals(1_000_000, data.delta(), 100_000);
  }

  @Test
  void aChangeSmallerThanARunsDriftBetweenItsHalvesIsNotSignificant() throws Exception {
    // A's GEMMs take 1 ms in its first half and 1.6 ms in its second (other load came); B's take 1.7 ms.
    Path a = Summaries.write(dir.resolve("a"), 40, Summaries.base(1_000_000, 1_000_000, 500_000),
        Summaries.base(1_000_000, 1_600_000, 500_000), 0.02, 1000, 1, "");
    Path b = Summaries.write(dir.resolve("b"), 40, Summaries.base(1_000_000, 1_700_000, 500_000), 0.02, 1000, 2, "");
    RunDiff diff = new RunDiff(RunProfile.load(a, 0), RunProfile.load(b, 0), RunDiff.Thresholds.DEFAULT);
    RunDiff.Change gemm = diff.changes.stream().filter(c -> c.quantity().key().equals("category|gemm|time"))
        .findFirst().orElseThrow();
    assertTrue(gemm.p() < 0.01, "the rank test alone would call it: " + gemm);
    assertEquals(600_000, gemm.drift(), 60_000);
    assertFalse(gemm.significant(), gemm.toString());
  }

  @Test
  void differentStepCountsExtraFieldsAndMissingDetailAreHandledAndSaid() throws Exception {
    Path a = Summaries.write(dir.resolve("a"), 30, Summaries.base(1_000_000, 2_000_000, 500_000), 0.1, 1000, 1, "");
    Path b = Summaries.write(dir.resolve("b"), 50, Summaries.base(1_000_000, 2_000_000, 500_000), 0.1, 1000, 2,
        ", \"estimated_ns\": {\"gemm\": 5}, \"future\": [1, {\"x\": null}]");
    RunDiff diff = new RunDiff(RunProfile.load(a.getParent(), -1), RunProfile.load(b, -1),
        RunDiff.Thresholds.DEFAULT);
    String text = new DiffReport(diff).text();
    assertTrue(text.contains("step counts differ: A 27, B 45"), text);
    assertTrue(text.contains("no trace.json: ops are compared by run totals"), text);
    assertTrue(text.contains("no significant change"), text);
    RunDiff.Change op = diff.changes.stream().filter(c -> c.quantity().section().equals("op")).findFirst()
        .orElseThrow();
    assertTrue(Double.isNaN(op.p()), "run totals cannot be tested: " + op);
    assertTrue(new DiffReport(diff).json().contains("\"p\": null"));
  }

  @Test
  void theTraceAddsPhasesOpsKernelsAndTheSummaryMemoryPerStep() throws Exception {
    long[] base = Summaries.base(1_000_000, 2_000_000, 500_000);
    Path a = Summaries.write(dir.resolve("a"), 30, base, 0.05, 1000, 1, "");
    Path b = Summaries.write(dir.resolve("b"), 30, base, 0.05, 1000, 2, "");
    Summaries.writeTrace(a.getParent(), 30, 300, 1);
    Summaries.writeTrace(b.getParent(), 30, 600, 2);
    RunDiff diff = new RunDiff(RunProfile.load(a.getParent(), -1), RunProfile.load(b.getParent(), -1),
        RunDiff.Thresholds.DEFAULT);
    List<String> significant = diff.significant().stream().map(c -> c.quantity().key()).toList();
    assertEquals(List.of("kernel|kernel/sgemm|time"), significant, new DiffReport(diff).text());
    List<String> compared = diff.changes.stream().map(c -> c.quantity().key()).toList();
    for (String key : List.of("phase|forward|time", "op|gemm/linear|count", "op|gemm/linear|gflops",
        "kernel|kernel/sgemm|count", "memory|physical_bytes|bytes")) {
      assertTrue(compared.contains(key), key + " in " + compared);
    }
    RunDiff.Change kernel = diff.significant().get(0);
    assertEquals(315_000, kernel.delta(), 30_000);
    assertEquals("DJL", RunProfile.load(a, -1).framework, "op_stats name linear");
  }

  @Test
  void aMissingCategoryAndADifferentFrameworkAreSaid() throws Exception {
    Path a = Summaries.write(dir.resolve("a"), 20, Summaries.base(1_000_000, 2_000_000, 500_000), 0.1, 1000, 1, "");
    Path b = dir.resolve("b.json");
    Files.writeString(b, Files.readString(a).replace("\"idle\"", "\"waiting\""));
    RunDiff diff = new RunDiff(RunProfile.load(a, -1), RunProfile.load(b, -1), RunDiff.Thresholds.DEFAULT);
    assertTrue(diff.notes.stream().anyMatch(n -> n.contains("only in A [idle], only in B [waiting]")),
        diff.notes.toString());
    Path dl4j = dir.resolve("dl4j.json");
    Files.writeString(dl4j, Files.readString(a).replace("\"linear\"", "\"mmul\""));
    RunDiff frameworks = new RunDiff(RunProfile.load(a, -1), RunProfile.load(dl4j, -1), RunDiff.Thresholds.DEFAULT);
    assertTrue(frameworks.notes.stream().anyMatch(n -> n.startsWith("frameworks differ: A DJL, B DL4J")),
        frameworks.notes.toString());
  }

  @Test
  void checkExitsOneOnAViolatedBoundAndZeroOtherwise() throws Exception {
    // 1000 FLOPs per step over about 3.87 ms: 0.00026 GFLOP/s.
    Path run = Summaries.write(dir.resolve("r"), 20, Summaries.base(1_000_000, 2_000_000, 500_000), 0.05, 1000, 3,
        "");
    assertEquals(1, check(run.toString(), "gflops >= 0.001"));
    assertEquals(0, check(run.toString(), "gflops >= 0.0002", "data <= 30%", "gemm <= 3ms"));
    assertEquals(1, check(run.toString(), "data <= 20%"));
    assertEquals(2, check(run.toString(), "step_p95 <= 1.1x"), "x needs a baseline");
    assertEquals(0, check(run.toString(), "--baseline", run.toString(), "step_p95 <= 1.0x"));
    assertEquals(2, check(dir.resolve("none").toString(), "data <= 20%"));
    assertEquals(2, check(run.toString(), "dta <= 20%"), "a misspelt metric is a usage error, not a violation");
  }

  private static int check(String... args) {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(sink, true, StandardCharsets.UTF_8);
    return AnalysisCommands.run("check", List.of(args), ps, ps);
  }
}
