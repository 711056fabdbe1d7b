package io.mltrace.agent.cli.analysis;

import io.mltrace.agent.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mltrace diff A B [--out DIR] [--warmup N] [--alpha P] [--min-change PCT] [--min-step-share PCT]}: prints
 * what changed from run A to run B and writes {@code diff.json} and {@code diff.html} to DIR (default
 * {@code mltrace-diff}). Exit 0 whatever the result (the gate is {@code check}), 2 for a usage error or an
 * unreadable run.
 */
final class DiffCommand {
  static final String USAGE = "usage: mltrace diff A B [--out DIR] [--warmup N] [--alpha P] [--min-change PCT]"
      + " [--min-step-share PCT]   (A, B: output folders or summary.json files)";

  private DiffCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    List<Path> runs = new ArrayList<>();
    Path outDir;
    int warmup;
    RunDiff.Thresholds t = RunDiff.Thresholds.DEFAULT;
    try {
      CommandArgs a = CommandArgs.parse(args, java.util.Set.of("--out", "--warmup", "--alpha", "--min-change",
          "--min-step-share"));
      a.positional.forEach(p -> runs.add(Paths.get(p)));
      outDir = Paths.get(a.get("--out", "mltrace-diff"));
      warmup = Integer.parseInt(a.get("--warmup", "-1"));
      t = new RunDiff.Thresholds(
          a.options.containsKey("--alpha") ? Double.parseDouble(a.get("--alpha", "")) : t.alpha(),
          a.options.containsKey("--min-change") ? Double.parseDouble(a.get("--min-change", "")) / 100
              : t.minRelative(),
          a.options.containsKey("--min-step-share") ? Double.parseDouble(a.get("--min-step-share", "")) / 100
              : t.minShareOfStep());
      if (runs.size() != 2) {
        throw new IllegalArgumentException("give two runs");
      }
    } catch (IllegalArgumentException e) {
      err.println("mltrace diff: " + e.getMessage());
      err.println(USAGE);
      return ExitCodes.USAGE;
    }
    try {
      RunDiff diff = new RunDiff(RunProfile.load(runs.get(0), warmup), RunProfile.load(runs.get(1), warmup), t);
      DiffReport report = new DiffReport(diff);
      out.print(report.text());
      Files.createDirectories(outDir);
      Files.writeString(outDir.resolve("diff.json"), report.json(), StandardCharsets.UTF_8);
      Files.writeString(outDir.resolve("diff.html"), report.html(), StandardCharsets.UTF_8);
      out.println("wrote " + outDir.resolve("diff.json") + " and " + outDir.resolve("diff.html"));
      return ExitCodes.OK;
    } catch (IOException | RuntimeException e) {
      err.println("mltrace diff: " + e.getMessage());
      return ExitCodes.USAGE;
    }
  }
}
