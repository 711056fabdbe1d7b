package io.mltrace.agent.cli.attach;

import io.mltrace.agent.cli.ExitCodes;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.mltrace.agent.control.AgentStatus;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * {@code list}, {@code attach}, {@code status}, {@code stop}; {@code trace} is {@link TraceCommand}. Each returns an
 * {@link ExitCodes exit code}; results go to {@code out}, progress and errors to {@code err}, one line each.
 */
public final class Commands {
  /**
   * Applied by {@code attach} unless given: a production job wants no per-step console lines. (Sampled detail, one
   * step in 100, is every start's default.)
   */
  static final String ATTACH_DEFAULTS = "console=off";
  /** {@code trace} on a JVM without mltrace attaches in the cheapest mode first. */
  static final String TRACE_ATTACH = "mode=off,console=off";

  private final String agentJar;
  private final PrintStream out;
  private final PrintStream err;

  public Commands(String agentJar, PrintStream out, PrintStream err) {
    this.agentJar = agentJar;
    this.out = out;
    this.err = err;
  }

  /** Runs {@code command} with its arguments; never throws. */
  public int run(String command, List<String> args) {
    try {
      switch (command) {
        case "list":
          return list();
        case "attach":
          return attach(args);
        case "status":
          return status(args);
        case "stop":
          return stop(args);
        case "trace":
          return new TraceCommand(this, out, err).run(args);
        default:
          throw new CliFailure(ExitCodes.USAGE, "unknown command '" + command + "'");
      }
    } catch (CliFailure f) {
      err.println("mltrace: " + f.getMessage());
      return f.exitCode;
    }
  }

  private int list() {
    long self = ProcessHandle.current().pid();
    out.println(String.format(Locale.ROOT, "%-8s %-16s %-8s %s", "PID", "MLTRACE", "MODE", "MAIN"));
    for (VirtualMachineDescriptor d : VirtualMachine.list()) {
      long pid;
      try {
        pid = Long.parseLong(d.id());
      } catch (NumberFormatException e) {
        continue;
      }
      if (pid == self) {
        continue;
      }
      String version;
      String mode;
      try (AttachClient c = AttachClient.connect(pid)) {
        Properties p = c.systemProperties();
        version = p.getProperty(AgentStatus.VERSION, "-");
        mode = p.getProperty(AgentStatus.MODE, "-");
      } catch (CliFailure f) {
        version = "?";
        mode = "?";
        err.println("mltrace: " + f.getMessage());
      }
      out.println(String.format(Locale.ROOT, "%-8d %-16s %-8s %s", pid, version, mode, d.displayName()));
    }
    return ExitCodes.OK;
  }

  private int attach(List<String> args) throws CliFailure {
    if (args.isEmpty()) {
      throw new CliFailure(ExitCodes.USAGE, "attach needs a pid: attach <pid> [key=value ...], or attach --app <id>");
    }
    if (args.get(0).equals("--app")) {
      if (args.size() < 2 || args.get(1).contains("=")) {
        throw new CliFailure(ExitCodes.USAGE, "attach --app needs a Spark application id: attach --app <id>"
            + " [key=value ...]");
      }
      List<String> rest = args.subList(2, args.size());
      if (!rest.isEmpty() && rest.get(0).equals("--hosts")) {
        if (rest.size() < 2 || rest.get(1).contains("=")) {
          throw new CliFailure(ExitCodes.USAGE, "--hosts needs the cluster's hosts: attach --app <id> --hosts h1,h2"
              + " [key=value ...]");
        }
        List<String> hosts = RemoteAttach.hosts(rest.get(1));
        List<String> options = rest.subList(2, rest.size());
        options(options); // checked here, before any host runs them
        return new RemoteAttach(agentJar, System.getenv(), out, err).run(args.get(1), hosts, options);
      }
      return attachApplication(args.get(1), options(rest));
    }
    return attachPid(TargetCheck.parsePid(args.get(0)), options(args.subList(1, args.size())));
  }

  /**
   * Attaches to every executor JVM of the Spark application {@code appId} that this user can see on this machine: the
   * JVMs whose command line carries {@code --app-id <appId>} (Spark starts each executor with it; the driver does not
   * carry it). One line per executor; the exit code is the first failure's, or 0 when every one was attached.
   */
  private int attachApplication(String appId, String options) throws CliFailure {
    List<Long> executors = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    for (VirtualMachineDescriptor d : VirtualMachine.list()) {
      if (isExecutorOf(d.displayName(), appId)) {
        try {
          long pid = Long.parseLong(d.id());
          if (pid != self) {
            executors.add(pid);
          }
        } catch (NumberFormatException e) {
          // not a local pid: not ours to attach
        }
      }
    }
    if (executors.isEmpty()) {
      throw new CliFailure(ExitCodes.NO_JVM, "no JVM of this user here carries --app-id " + appId
          + " (Spark's executors do; see: list)");
    }
    int result = ExitCodes.OK;
    for (long pid : executors) {
      try {
        attachPid(pid, options);
      } catch (CliFailure f) {
        err.println("mltrace: executor " + pid + ": " + f.getMessage());
        result = result == ExitCodes.OK ? f.exitCode : result;
      }
    }
    out.println("mltrace: application " + appId + ": " + executors.size() + " executor JVM(s) found, "
        + (result == ExitCodes.OK ? "all attached" : "not all attached"));
    return result;
  }

  /** Whether a JVM's command line ({@code displayName}: main class and arguments) is an executor of {@code appId}. */
  static boolean isExecutorOf(String displayName, String appId) {
    String[] words = displayName.trim().split("\\s+");
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].equals("--app-id") && words[i + 1].equals(appId)) {
        return true;
      }
    }
    return false;
  }

  private int attachPid(long pid, String options) throws CliFailure {
    try (AttachClient c = AttachClient.connect(pid)) {
      if (c.agentLoaded()) {
        String answer = c.loadAgent(agentJar, "command=configure" + (options.isEmpty() ? "" : "," + options));
        out.println("mltrace: already loaded in " + pid + " (one agent per JVM): " + answer);
        return ExitCodes.OK;
      }
      String answer = load(c, withDefaults(options, ATTACH_DEFAULTS));
      out.println("mltrace: " + answer.replaceFirst("^attached: ", "attached to " + pid + ": "));
      return ExitCodes.OK;
    }
  }

  /** Loads the agent into a JVM that does not have it, after saying what the JVM will print on JDK 21+. */
  String load(AttachClient c, String options) throws CliFailure {
    explainDynamicLoadingWarning(c);
    return c.loadAgent(agentJar, options);
  }

  private void explainDynamicLoadingWarning(AttachClient c) throws CliFailure {
    Properties sys = c.systemProperties();
    int feature = featureVersion(sys.getProperty("java.specification.version", "17"));
    if (feature < 21) {
      return;
    }
    Properties agent = c.agentProperties();
    String flags = agent.getProperty("sun.jvm.flags", "") + " " + agent.getProperty("sun.jvm.args", "");
    if (flags.contains("EnableDynamicAgentLoading")) {
      return; // + : no warning; - : the JVM refuses, and the refusal says why
    }
    err.println("mltrace: note: JVM " + c.pid + " runs Java " + feature + ". Since JDK 21 a JVM prints 'WARNING: A"
        + " Java agent has been loaded dynamically' on its stderr when an agent is attached (JEP 451); the warning"
        + " is harmless. Start the job with -XX:+EnableDynamicAgentLoading to allow attaching without it; a future"
        + " JDK will refuse dynamic agents unless that flag is given.");
  }

  static int featureVersion(String spec) {
    try {
      return Integer.parseInt(spec.startsWith("1.") ? spec.substring(2) : spec.replaceFirst("\\..*", ""));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private int status(List<String> args) throws CliFailure {
    long pid = onePid("status", args);
    try (AttachClient c = AttachClient.connect(pid)) {
      Properties p = c.systemProperties();
      if (p.getProperty(AgentStatus.VERSION) == null) {
        throw new CliFailure(ExitCodes.NOT_LOADED, "mltrace is not loaded in JVM " + pid
            + " (attach it with: attach " + pid + ")");
      }
      out.println("pid: " + pid);
      line(p, "version", AgentStatus.VERSION);
      line(p, "mode", AgentStatus.MODE);
      line(p, "detail", AgentStatus.DETAIL);
      line(p, "steps", AgentStatus.STEPS);
      line(p, "overhead", AgentStatus.OVERHEAD);
      line(p, "guard", AgentStatus.GUARD);
      line(p, "attach", AgentStatus.ATTACH);
      line(p, "output", AgentStatus.OUTPUT);
      line(p, "metrics", AgentStatus.METRICS);
      if (p.getProperty(AgentStatus.WINDOW_ID) != null) {
        out.println("window: " + p.getProperty(AgentStatus.WINDOW_ID) + " " + p.getProperty(AgentStatus.WINDOW_STATE)
            + ", " + p.getProperty(AgentStatus.WINDOW_STEPS) + " of " + p.getProperty(AgentStatus.WINDOW_TARGET)
            + " in " + p.getProperty(AgentStatus.WINDOW_OUT));
      }
      return ExitCodes.OK;
    }
  }

  private void line(Properties p, String label, String key) {
    String v = p.getProperty(key);
    if (v != null) {
      out.println(label + ": " + v);
    }
  }

  private int stop(List<String> args) throws CliFailure {
    long pid = onePid("stop", args);
    try (AttachClient c = AttachClient.connect(pid)) {
      if (!c.agentLoaded()) {
        throw new CliFailure(ExitCodes.NOT_LOADED, "mltrace is not loaded in JVM " + pid + "; nothing to stop");
      }
      out.println("mltrace: stopped in " + pid + ": " + c.loadAgent(agentJar, "command=stop"));
      return ExitCodes.OK;
    }
  }

  private static long onePid(String command, List<String> args) throws CliFailure {
    if (args.size() != 1) {
      throw new CliFailure(ExitCodes.USAGE, command + " needs exactly one pid: " + command + " <pid>");
    }
    return TargetCheck.parsePid(args.get(0));
  }

  /** {@code key=value} arguments joined for the agent; a comma inside a value cannot be passed. */
  static String options(List<String> pairs) throws CliFailure {
    List<String> kept = new ArrayList<>();
    for (String a : pairs) {
      if (!a.contains("=") || a.contains(",")) {
        throw new CliFailure(ExitCodes.USAGE, "option '" + a + "' must be key=value, without commas");
      }
      kept.add(a);
    }
    return String.join(",", kept);
  }

  /** The options, plus each default whose key they do not set. */
  static String withDefaults(String options, String defaults) {
    StringBuilder b = new StringBuilder(options);
    for (String pair : defaults.split(",")) {
      String key = pair.substring(0, pair.indexOf('='));
      if (!("," + options).contains("," + key + "=")) {
        b.append(b.length() == 0 ? "" : ",").append(pair);
      }
    }
    return b.toString();
  }

  // Visible for testing
  public static String withDefaultsForTest(String options) {
    return withDefaults(options, ATTACH_DEFAULTS);
  }

  String agentJar() {
    return agentJar;
  }
}
