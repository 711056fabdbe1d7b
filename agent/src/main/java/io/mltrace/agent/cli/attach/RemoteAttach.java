package io.mltrace.agent.cli.attach;

import io.mltrace.agent.cli.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code attach --app <id> --hosts H1,H2,...}: the same {@code attach --app} on every machine of a cluster, through
 * the remote shell the cluster already uses (ssh, as Spark's own {@code sbin/start-workers.sh}); all hosts at once,
 * each bounded in time. An executor is a JVM of another machine: the Attach API reaches only local ones, so the
 * command runs where the executors are.
 *
 * <p>{@code MLTRACE_SSH} names the remote shell and its flags (default
 * {@code ssh -o BatchMode=yes -o ConnectTimeout=10}: never a password prompt); it is called as
 * {@code <shell> HOST '<command>'}. {@code MLTRACE_REMOTE} is the command line that runs mltrace there (default
 * {@code java -jar <this jar's path>}: the jar sits at the same path on every machine, as
 * {@code spark.executor.extraJavaOptions}' {@code -javaagent} needs anyway).
 */
final class RemoteAttach {
  static final String DEFAULT_SHELL = "ssh -o BatchMode=yes -o ConnectTimeout=10";
  /** A host that has not answered by then is reported and left (its executors may or may not have the agent). */
  static final long HOST_TIMEOUT_S = 120;
  /** ssh's own exit code for "could not connect or authenticate". */
  static final int SSH_FAILED = 255;

  private final String agentJar;
  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;

  private final long timeoutS;

  RemoteAttach(String agentJar, Map<String, String> env, PrintStream out, PrintStream err) {
    this(agentJar, env, out, err, HOST_TIMEOUT_S);
  }

  RemoteAttach(String agentJar, Map<String, String> env, PrintStream out, PrintStream err, long timeoutS) {
    this.timeoutS = timeoutS;
    this.agentJar = agentJar;
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /** The hosts of a {@code --hosts} value: comma-separated, blanks and repeats dropped, order kept. */
  static List<String> hosts(String value) throws CliFailure {
    LinkedHashSet<String> hosts = new LinkedHashSet<>();
    for (String h : value.split(",")) {
      String host = h.trim();
      if (host.isEmpty()) {
        continue;
      }
      if (!host.matches("[\\w.:@\\[\\]-]+")) {
        throw new CliFailure(ExitCodes.USAGE, "--hosts: '" + host + "' is not a host name");
      }
      hosts.add(host);
    }
    if (hosts.isEmpty()) {
      throw new CliFailure(ExitCodes.USAGE, "--hosts needs at least one host: --hosts h1,h2");
    }
    return new ArrayList<>(hosts);
  }

  /** Single-quoted for a POSIX shell: the remote shell re-splits the command ssh hands it. */
  static String quoted(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** The command line each host runs: {@code attach --app ID [key=value ...]} of the remote mltrace. */
  String remoteCommand(String appId, List<String> options) {
    String remote = env.getOrDefault("MLTRACE_REMOTE", "").trim();
    StringBuilder b = new StringBuilder(remote.isEmpty()
        ? "java -jar " + quoted(Paths.get(agentJar).toAbsolutePath().toString()) : remote);
    b.append(" attach --app ").append(quoted(appId));
    for (String o : options) {
      b.append(' ').append(quoted(o));
    }
    return b.toString();
  }

  /**
   * Runs the attach on every host at once and prints each host's lines prefixed with its name. Exit 0 when no host
   * failed and at least one attached; a host without an executor of the application (the remote's "no JVM") is not
   * a failure (dynamic allocation leaves some machines without one); none attached anywhere: "no JVM"; else the
   * first failed host's code (1 for a host the shell could not reach).
   */
  int run(String appId, List<String> hosts, List<String> options) {
    String shell = env.getOrDefault("MLTRACE_SSH", "").trim();
    List<String> shellWords = Arrays.asList((shell.isEmpty() ? DEFAULT_SHELL : shell).split("\\s+"));
    String command = remoteCommand(appId, options);
    List<HostRun> runs = new ArrayList<>();
    for (String host : hosts) {
      List<String> cmd = new ArrayList<>(shellWords);
      cmd.add(host);
      cmd.add(command);
      runs.add(HostRun.start(host, cmd));
    }
    int attached = 0;
    int without = 0;
    int result = ExitCodes.OK;
    List<String> failed = new ArrayList<>();
    for (HostRun r : runs) {
      int code = r.await(timeoutS);
      r.stdout.lines().forEach(l -> out.println(r.host + ": " + l));
      r.stderr.lines().forEach(l -> err.println(r.host + ": " + l));
      if (code == ExitCodes.OK) {
        attached++;
        continue;
      }
      if (code == ExitCodes.NO_JVM) {
        without++;
        continue;
      }
      String why = r.failure != null ? r.failure
          : code == SSH_FAILED ? "could not be reached (" + shellWords.get(0) + " exit " + SSH_FAILED + ")"
          : "exit " + code;
      err.println("mltrace: " + r.host + ": " + why);
      failed.add(r.host);
      if (result == ExitCodes.OK) {
        result = code == SSH_FAILED || code < 0 ? ExitCodes.FAILED : code;
      }
    }
    out.println("mltrace: application " + appId + " on " + hosts.size() + " host(s): attached on " + attached
        + ", no executor of it on " + without + ", failed on " + failed.size()
        + (failed.isEmpty() ? "" : " (" + String.join(", ", failed) + ")"));
    if (result == ExitCodes.OK && attached == 0) {
      return ExitCodes.NO_JVM;
    }
    return result;
  }

  /** One host's remote command: its output read as it comes, so that a chatty host never blocks on a full pipe. */
  private static final class HostRun {
    final String host;
    final Process process;
    final Thread[] readers;
    final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    String stdout = "";
    String stderr = "";
    String failure;

    private HostRun(String host, Process process, String failure) {
      this.host = host;
      this.process = process;
      this.failure = failure;
      this.readers = process == null ? new Thread[0]
          : new Thread[] {reader(process.getInputStream(), outBytes), reader(process.getErrorStream(), errBytes)};
    }

    static HostRun start(String host, List<String> cmd) {
      try {
        return new HostRun(host, new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).start(), null);
      } catch (IOException e) {
        return new HostRun(host, null, "could not start '" + cmd.get(0) + "': " + e.getMessage());
      }
    }

    private static Thread reader(InputStream in, ByteArrayOutputStream to) {
      Thread t = new Thread(() -> {
        try (in) {
          in.transferTo(to);
        } catch (IOException ended) {
          // the process went away: what was read stays
        }
      }, "mltrace-remote-output");
      t.setDaemon(true);
      t.start();
      return t;
    }

    /** The exit code, or -1 (not started, or killed after {@code timeoutS}: {@link #failure} says which). */
    int await(long timeoutS) {
      if (process == null) {
        return -1;
      }
      try {
        process.getOutputStream().close(); // nothing to send: a remote shell waiting on input sees its end
        if (!process.waitFor(timeoutS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          failure = "no answer within " + timeoutS + " s (stopped waiting; its executors may or may not have"
              + " the agent: see status there)";
        }
        for (Thread t : readers) {
          t.join(2000);
        }
      } catch (IOException | InterruptedException e) {
        failure = "interrupted: " + e;
      }
      stdout = outBytes.toString(StandardCharsets.UTF_8);
      stderr = errBytes.toString(StandardCharsets.UTF_8);
      return failure != null ? -1 : process.exitValue();
    }
  }
}
