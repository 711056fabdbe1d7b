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
    Path outDir = Paths.get("mltrace-diff");
    int warmup = -1;
    RunDiff.Thresholds t = RunDiff.Thresholds.DEFAULT;
    try {
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (!arg.startsWith("--")) {
          runs.add(Paths.get(arg));
          continue;
        }
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        String value = args.get(++i);
        switch (arg) {
          case "--out": outDir = Paths.get(value); break;
          case "--warmup": warmup = Integer.parseInt(value); break;
          case "--alpha": t = new RunDiff.Thresholds(Double.parseDouble(value), t.minRelative(),
              t.minShareOfStep()); break;
          case "--min-change": t = new RunDiff.Thresholds(t.alpha(), Double.parseDouble(value) / 100,
              t.minShareOfStep()); break;
          case "--min-step-share": t = new RunDiff.Thresholds(t.alpha(), t.minRelative(),
              Double.parseDouble(value) / 100); break;
          default: throw new IllegalArgumentException("unknown option " + arg);
        }
      }
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
