package io.mltrace.agent.cli.analysis;

import io.mltrace.agent.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mltrace check RUN [--baseline RUN] [--bounds FILE] [--warmup N] [BOUND ...]}: a regression gate for CI.
 * Exit 0 when every bound holds, 1 with one line per violated bound, 2 for a usage error (a bound that cannot be
 * read, or names a metric the run does not have; {@code x} without a baseline). Bounds come from the
 * command line and from a file (one per line, {@code #} comments); see {@link Bound}.
 */
final class CheckCommand {
  private CheckCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    Path runPath = null;
    Path baselinePath = null;
    int warmup = -1;
    List<String> boundTexts = new ArrayList<>();
    try {
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--baseline") || arg.equals("--bounds") || arg.equals("--warmup")) {
          if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          String value = args.get(++i);
          if (arg.equals("--baseline")) {
            baselinePath = Paths.get(value);
          } else if (arg.equals("--warmup")) {
            warmup = Integer.parseInt(value);
          } else {
            for (String line : Files.readAllLines(Paths.get(value))) {
              String bound = line.replaceFirst("#.*", "").trim();
              if (!bound.isEmpty()) {
                boundTexts.add(bound);
              }
            }
          }
        } else if (runPath == null && !arg.contains("<") && !arg.contains(">") && !arg.contains("≤")
            && !arg.contains("≥")) {
          runPath = Paths.get(arg);
        } else {
          boundTexts.add(arg);
        }
      }
      if (runPath == null || boundTexts.isEmpty()) {
        throw new IllegalArgumentException("usage: mltrace check RUN [--baseline RUN] [--bounds FILE]"
            + " [--warmup N] ['data <= 10%' ...]");
      }
      List<Bound> bounds = new ArrayList<>();
      for (String text : boundTexts) {
        bounds.add(Bound.parse(text));
      }
      // The bounds read summary.json only: a large trace.json need not be parsed in a CI job.
      RunProfile run = RunProfile.load(runPath, warmup, false);
      RunProfile baseline = baselinePath == null ? null : RunProfile.load(baselinePath, warmup, false);
      int violated = 0;
      for (Bound b : bounds) {
        if (b.relativeToBaseline() && baseline == null) {
          throw new IllegalArgumentException("bound '" + b.text() + "' compares with a baseline: give --baseline");
        }
        double value = RunMetrics.value(run, b.metric(), b.unit());
        double limit = b.limit(baseline == null ? Double.NaN : RunMetrics.value(baseline, b.metric(), b.unit()));
        if (Double.isNaN(value) || Double.isNaN(limit)) {
          // A misspelt metric must not read as a regression: it is a usage error.
          throw new IllegalArgumentException("bound '" + b.text() + "': no metric '" + b.metric() + "' in "
              + (Double.isNaN(value) ? runPath : baselinePath) + " (a category, step_p50/p95/p99/mean/max, gflops)");
        }
        if (!b.holds(value, limit)) {
          err.println("mltrace check: VIOLATED " + b.text() + ": " + RunMetrics.describe(b, value, limit));
          violated++;
        }
      }
      if (violated == 0) {
        out.println("mltrace check: " + bounds.size() + " bound" + (bounds.size() == 1 ? "" : "s") + " hold ("
            + run.steps + " steps of " + run.source + ")");
        return ExitCodes.OK;
      }
      return ExitCodes.FAILED;
    } catch (IllegalArgumentException | IOException e) {
      err.println("mltrace check: " + e.getMessage());
      return ExitCodes.USAGE;
    }
  }
}
