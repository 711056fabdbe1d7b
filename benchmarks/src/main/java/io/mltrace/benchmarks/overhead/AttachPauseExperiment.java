package io.mltrace.benchmarks.overhead;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The attach cost on running DJL jobs ({@code --attach-runs N}): the pause the agent reports, the longest
 * {@code RedefineClasses} safepoint the JVM logs, and the attach command's wall time.
 */
final class AttachPauseExperiment {
  private static final Pattern PAUSE = Pattern.compile("longest pause ([0-9.]+) ms");
  private static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"RedefineClasses\".*Total: (\\d+) ns");
  private static final Pattern CLASSES = Pattern.compile("retransformed (\\d+) classes");

  private final Launcher launcher;

  AttachPauseExperiment(Launcher launcher) {
    this.launcher = launcher;
  }

  void rows(int runs) throws Exception {
    System.out.println();
    MarkdownTable table = new MarkdownTable("attach run", "classes retransformed", "pause reported by the agent",
        "longest RedefineClasses safepoint (JVM log)", "attach command wall time");
    for (int i = 1; i <= runs; i++) {
      Path log = launcher.work.resolve("safepoints-" + i + ".log");
      Path out = launcher.work.resolve("attach-job-" + i + ".txt");
      Process job = launcher.start(launcher.freeRunningDjl(List.of("-Xlog:safepoint:file=" + log), 3000), out);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!Files.readString(out).contains("training")) {
        if (!job.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the job did not start training:\n" + Files.readString(out));
        }
        Thread.sleep(100);
      }
      Thread.sleep(500);
      long t0 = System.nanoTime();
      String attached = launcher.attach(job.pid(), List.of());
      double wallMs = (System.nanoTime() - t0) / 1e6;
      job.waitFor(5, TimeUnit.MINUTES);
      Matcher pause = PAUSE.matcher(attached);
      Matcher classes = CLASSES.matcher(attached);
      long longest = 0;
      Matcher sp = SAFEPOINT.matcher(Files.readString(log));
      while (sp.find()) {
        longest = Math.max(longest, Long.parseLong(sp.group(1)));
      }
      table.row("| %d | %s | %s ms | %.2f ms | %.0f ms |", i, classes.find() ? classes.group(1) : "?",
          pause.find() ? pause.group(1) : "? (" + attached.trim() + ")", longest / 1e6, wallMs);
    }
  }
}
