package io.mltrace.agent.cli.attach;

import io.mltrace.agent.cli.ExitCodes;
import io.mltrace.agent.cli.analysis.WindowMemory;
import io.mltrace.agent.Durations;
import io.mltrace.agent.control.AgentStatus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code trace <pid> --steps N | --duration D [--memory] [--out DIR] [--timeout D]}: opens an on-demand window in the
 * target (attaching first, in the cheapest mode, when mltrace is not loaded), shows its progress on stderr until it
 * closes, then prints where its {@code trace.json} (or {@code trace.json.gz}), {@code summary.json} and, when
 * written, {@code report.html} are. With {@code --memory} the window's steps stay counted and take the creation
 * sites of their tensors instead (a stack walk per tensor, no detail), and the command prints the sites of the
 * tensors that outlived their step, as of the window's last step, and the run's leak suspects.
 */
final class TraceCommand {
  static final long POLL_MILLIS = 250;
  /** After a duration window's time, how long to wait for a step past its end before closing it. */
  static final long DURATION_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
  static final String DEFAULT_TIMEOUT = "10m";
  private static final Pattern OPENED = Pattern.compile("^window (\\d+) open");

  private final Commands commands;
  private final PrintStream out;
  private final PrintStream err;

  TraceCommand(Commands commands, PrintStream out, PrintStream err) {
    this.commands = commands;
    this.out = out;
    this.err = err;
  }

  int run(List<String> args) throws CliFailure {
    if (args.isEmpty()) {
      throw usage("trace needs a pid");
    }
    long pid = TargetCheck.parsePid(args.get(0));
    int steps = 0;
    String duration = null;
    String dir = null;
    String timeout = DEFAULT_TIMEOUT;
    boolean memory = false;
    for (int i = 1; i < args.size(); i++) {
      String flag = args.get(i);
      if (flag.equals("--memory")) {
        memory = true;
        continue;
      }
      if (i + 1 >= args.size()) {
        throw usage(flag + " needs a value");
      }
      String value = args.get(++i);
      switch (flag) {
        case "--steps":
          steps = positiveInt(value);
          break;
        case "--duration":
          duration = value;
          break;
        case "--out":
          dir = value;
          break;
        case "--timeout":
          timeout = value;
          break;
        default:
          throw usage("unknown flag " + flag);
      }
    }
    if ((steps > 0) == (duration != null)) {
      throw usage("give either --steps N or --duration D");
    }
    long durationNanos = duration == null ? 0 : Durations.parseNanos(duration);
    long timeoutNanos = Durations.parseNanos(timeout);
    if (duration != null && durationNanos <= 0) {
      throw usage("--duration must be a duration such as 30s, not '" + duration + "'");
    }
    if (timeoutNanos <= 0) {
      throw usage("--timeout must be a duration such as 10m, not '" + timeout + "'");
    }
    Path folder = dir != null ? Paths.get(dir).toAbsolutePath() : Paths.get("mltrace-out", "window-" + pid + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT))).toAbsolutePath();
    if (folder.toString().contains(",")) {
      throw usage("the output folder must not contain a comma: " + folder);
    }

    long id;
    try (AttachClient c = AttachClient.connect(pid)) {
      if (!c.agentLoaded()) {
        String attached = commands.load(c, Commands.TRACE_ATTACH);
        err.println("mltrace: " + attached.replaceFirst("^attached: ", "attached to " + pid + ": "));
      }
      String window = (steps > 0 ? "steps=" + steps : "duration=" + duration) + (memory ? ",window=memory" : "");
      String answer = c.loadAgent(commands.agentJar(), "command=trace," + window + ",out=" + folder);
      err.println("mltrace: " + answer);
      Matcher m = OPENED.matcher(answer);
      if (!m.find()) {
        throw new CliFailure(ExitCodes.FAILED, "unexpected answer from JVM " + pid + ": " + answer);
      }
      id = Long.parseLong(m.group(1));
    }
    int exit = follow(pid, id, folder, durationNanos, timeoutNanos);
    if (memory) {
      for (String line : WindowMemory.describe(folder.resolve("summary.json"))) {
        out.println(line);
      }
    }
    return exit;
  }

  /** Polls the window's state until it closes; closes a duration window that no later step closed. */
  private int follow(long pid, long id, Path folder, long durationNanos, long timeoutNanos) throws CliFailure {
    long start = System.nanoTime();
    long closeAt = durationNanos > 0 ? start + durationNanos + DURATION_GRACE_NANOS : Long.MAX_VALUE;
    String shown = "";
    while (true) {
      sleep();
      String state;
      String taken;
      String target;
      try (AttachClient c = AttachClient.connect(pid)) {
        Properties p = c.systemProperties();
        if (!String.valueOf(id).equals(p.getProperty(AgentStatus.WINDOW_ID))) {
          throw new CliFailure(ExitCodes.INCOMPLETE, "window " + id + " was replaced by window "
              + p.getProperty(AgentStatus.WINDOW_ID));
        }
        state = p.getProperty(AgentStatus.WINDOW_STATE, "?");
        taken = p.getProperty(AgentStatus.WINDOW_STEPS, "0");
        target = p.getProperty(AgentStatus.WINDOW_TARGET, "?");
        long now = System.nanoTime();
        if (state.equals("open") && (now >= closeAt || now - start >= timeoutNanos)) {
          boolean timedOut = now - start >= timeoutNanos && now < closeAt;
          c.loadAgent(commands.agentJar(), "command=window_close");
          if (timedOut) {
            throw new CliFailure(ExitCodes.INCOMPLETE, "window " + id + " timed out with " + taken + " of " + target
                + "; what it holds is in " + folder);
          }
          continue;
        }
      } catch (CliFailure f) {
        if (f.exitCode == ExitCodes.NO_JVM) {
          throw new CliFailure(ExitCodes.INCOMPLETE, "JVM " + pid + " exited before window " + id
              + " closed; the steps it got were written at exit into " + folder);
        }
        throw f;
      }
      String progress = "window " + id + ": " + taken + " of " + target;
      if (!progress.equals(shown)) {
        err.println("mltrace: " + progress);
        shown = progress;
      }
      if (state.equals("done")) {
        out.println("mltrace: window " + id + " done: " + taken + " steps in " + folder);
        // trace_gzip and html_report were fixed when the agent started: name the files the window wrote.
        Path gzipped = folder.resolve("trace.json.gz");
        out.println("trace: " + (Files.exists(gzipped) ? gzipped : folder.resolve("trace.json")));
        out.println("summary: " + folder.resolve("summary.json"));
        if (Files.exists(folder.resolve("report.html"))) {
          out.println("report: " + folder.resolve("report.html"));
        }
        return ExitCodes.OK;
      }
      if (!state.equals("open")) {
        throw new CliFailure(ExitCodes.INCOMPLETE, "window " + id + " " + state + " with " + taken + " of " + target
            + "; what it holds is in " + folder);
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int positiveInt(String v) throws CliFailure {
    try {
      int n = Integer.parseInt(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw usage("--steps must be a positive whole number, not '" + v + "'");
  }

  private static CliFailure usage(String why) {
    return new CliFailure(ExitCodes.USAGE, why + "; usage: trace <pid> --steps N | --duration D [--memory]"
        + " [--out DIR] [--timeout D]");
  }
}
