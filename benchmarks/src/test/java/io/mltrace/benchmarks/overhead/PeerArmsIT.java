package io.mltrace.benchmarks.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reduced {@code peers} run (one pair, a few steps) of every arm, so that the harness cannot rot: each arm once,
 * the arms of any framework on the DJL MLP and DL4J's own on the DL4J MLP, through the harness's command line as
 * the docs run it. Asserts that every arm ran and produced every figure, never what the figures are.
 */
class PeerArmsIT {
  private static final Path ROOT = Path.of(System.getProperty("mltrace.root", "..")).toAbsolutePath().normalize();
  private static final Pattern RATIO = Pattern.compile("\\d+\\.\\d{3}x \\(\\d+\\.\\d{3}–\\d+\\.\\d{3}\\)");
  private static final Pattern SECONDS_AND_DELTA = Pattern.compile("\\d+\\.\\d \\([+-]\\d+\\.\\d\\)");
  private static final Pattern SIGNED = Pattern.compile("[+-]\\d+\\.\\d");
  private static final Pattern MIB_AND_DELTA = Pattern.compile("\\d+ \\([+-]\\d+\\)");
  private static final Pattern COUNT = Pattern.compile("\\d+");

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void everyArmRunsAndReportsEveryFigure() throws Exception {
    List<Peer> anyFramework = Arrays.stream(Peer.values())
        .filter(p -> p.framework != Job.Framework.DL4J).collect(Collectors.toList());
    List<Peer> dl4jOnly = List.of(Peer.DL4J_OP_PROFILER, Peer.DL4J_PERFORMANCE_LISTENER);
    Map<String, String[]> rows = new LinkedHashMap<>();
    rows.putAll(run("djl", anyFramework));
    rows.putAll(run("dl4j", dl4jOnly));
    List<Peer> all = new ArrayList<>(anyFramework);
    all.addAll(dl4jOnly);
    assertEquals(Peer.values().length, all.size());
    for (Peer peer : all) {
      String job = peer.framework == Job.Framework.DL4J ? "dl4j" : "djl";
      String[] cells = rows.get(job + " " + peer.title);
      assertTrue(cells != null, "no row for " + peer + " on " + job + ": " + rows.keySet());
      String row = String.join(" | ", cells);
      assertEquals("1", cells[3], "pairs run: " + row);
      assertTrue(RATIO.matcher(cells[4]).matches(), "step-time ratio: " + row);
      assertTrue(SECONDS_AND_DELTA.matcher(cells[5]).matches(), "time to first step: " + row);
      assertTrue(SIGNED.matcher(cells[6]).matches(), "extra CPU: " + row);
      assertTrue(MIB_AND_DELTA.matcher(cells[7]).matches(), "peak RSS: " + row);
      assertTrue(SIGNED.matcher(cells[8]).matches(), "Java heap: " + row);
      assertTrue(COUNT.matcher(cells[9]).matches(), "output bytes per step: " + row);
      assertEquals(peer.sees, cells[10]);
    }
    // Arms that write files wrote some: a figure of 0 there would mean the arm did not record.
    for (Peer writer : List.of(Peer.MLTRACE_DEFAULT, Peer.DJL_PROFILER, Peer.JFR_PROFILE, Peer.ASYNC_WALL)) {
      assertTrue(Long.parseLong(rows.get("djl " + writer.title)[9]) > 0, writer + " wrote nothing");
    }
  }

  /** One harness run of {@code arms} on {@code job}; its table's rows by "job arm", split into cells. */
  private static Map<String, String[]> run(String job, List<Peer> arms) throws Exception {
    Path out = Files.createTempFile("peers-" + job, ".md");
    Path err = Files.createTempFile("peers-" + job, ".err");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        ROOT.resolve("benchmarks/target/classes").toString(), OverheadHarness.class.getName(), "--root",
        ROOT.toString(), "--method", "peers", "--jobs", job, "--pairs", "1", "--warmup", "3", "--steps", "6",
        "--arms", arms.stream().map(Peer::cliName).collect(Collectors.joining(",")));
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(4, TimeUnit.MINUTES), "the harness did not finish: " + Files.readString(err));
    assertEquals(0, p.exitValue(), Files.readString(err));
    Map<String, String[]> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(out)) {
      if (line.startsWith("| " + job + " |")) {
        String[] cells = Arrays.stream(line.substring(2, line.length() - 2).split(" \\| ", -1))
            .map(String::trim).toArray(String[]::new);
        rows.put(cells[0] + " " + cells[1], cells);
      }
    }
    return rows;
  }
}
