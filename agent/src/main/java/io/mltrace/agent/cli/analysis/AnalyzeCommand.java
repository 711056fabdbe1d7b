package io.mltrace.agent.cli.analysis;

import io.mltrace.agent.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * {@code mltrace analyze DIR [--warmup N] [--json FILE] [--doc FILE [--figures DIR]]}: measured FLOPs against the
 * analytic models for the case-study runs in DIR (see {@link CaseStudies}): the LSTM per-layer slope and its ratio to
 * {@code 16·h²·batch·time steps}, the Transformer's FLOPs against its formula with the fitted linear and quadratic
 * terms, images/s against batch size, and the time that is not GEMM. Prints a summary, writes
 * {@code analysis.json} (default DIR/analysis.json) and, with {@code --doc}, the case-study page and its PNG
 * figures (default: a {@code case-studies} folder beside the page). {@code --warmup N}: leading steps of each run
 * left out (default: a tenth).
 */
final class AnalyzeCommand {
  static final String USAGE = "usage: mltrace analyze DIR [--warmup N] [--json FILE] [--doc FILE [--figures DIR]]";

  private AnalyzeCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Path dir = null;
    Path json = null;
    Path doc = null;
    Path figures = null;
    int warmup = -1;
    try {
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (!arg.startsWith("--")) {
          if (dir != null) {
            throw new IllegalArgumentException("one folder only");
          }
          dir = Paths.get(arg);
          continue;
        }
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        String text = args.get(++i);
        if (arg.equals("--warmup")) {
          warmup = Integer.parseInt(text);
          continue;
        }
        Path value = Paths.get(text);
        switch (arg) {
          case "--json": json = value; break;
          case "--doc": doc = value; break;
          case "--figures": figures = value; break;
          default: throw new IllegalArgumentException("unknown option " + arg);
        }
      }
      if (dir == null) {
        throw new IllegalArgumentException("give the folder of the case-study runs");
      }
    } catch (IllegalArgumentException e) {
      err.println("mltrace analyze: " + e.getMessage());
      err.println(USAGE);
      return ExitCodes.USAGE;
    }
    try {
      CaseStudies cs = CaseStudies.load(dir, warmup);
      CaseStudyReport report = new CaseStudyReport(cs);
      out.print(report.summary());
      Path jsonFile = json != null ? json : dir.resolve("analysis.json");
      Files.writeString(jsonFile, report.json(), StandardCharsets.UTF_8);
      out.println("wrote " + jsonFile);
      if (doc != null) {
        Path figureDir = figures != null ? figures
            : doc.toAbsolutePath().getParent().resolve("case-studies");
        Files.createDirectories(figureDir);
        Map<String, String> written = report.figures(figureDir);
        Path base = doc.toAbsolutePath().getParent();
        Files.writeString(doc, new CaseStudyPage(cs, report, figureLinks(base, written)).markdown(),
            StandardCharsets.UTF_8);
        out.println("wrote " + doc + " and " + written.size() + " figures in " + figureDir);
      }
      return ExitCodes.OK;
    } catch (IOException | RuntimeException e) {
      err.println("mltrace analyze: " + e);
      return ExitCodes.USAGE;
    }
  }

  private static Map<String, String> figureLinks(Path base, Map<String, String> written) {
    Map<String, String> links = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> e : written.entrySet()) {
      links.put(e.getKey(), base.relativize(Paths.get(e.getValue()).toAbsolutePath()).toString());
    }
    return links;
  }
}
