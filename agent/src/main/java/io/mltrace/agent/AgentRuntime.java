package io.mltrace.agent;

import io.mltrace.agent.control.AgentStatus;
import io.mltrace.agent.control.DetailControl;
import io.mltrace.agent.control.DetailPolicy;
import io.mltrace.agent.control.Mode;
import io.mltrace.agent.control.OverheadGuard;
import io.mltrace.agent.control.RetransformTimer;
import io.mltrace.agent.control.TailFilter;
import io.mltrace.agent.control.WindowSinks;
import io.mltrace.agent.djl.DjlInstrumentation;
import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.Installer;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.ChromeTraceWriter;
import io.mltrace.exporters.ConsoleReporter;
import io.mltrace.exporters.SummaryWriter;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wires one agent instance: options, sinks, the collector thread, the instrumentation, and the shutdown hook that
 * writes the files at exit. Started once, by {@link MltraceAgent}, after the bridge is on the bootstrap path; every
 * later {@code agentmain} (a second attach, or a command of {@code mltrace trace/status/stop}) goes to
 * {@link #command}, which reconfigures this instance and never installs anything twice.
 */
public final class AgentRuntime {
  /** The categories the current instrumentation measures; the others stay 0 in the outputs. */
  static final List<Category> MEASURED = List.of(Category.GEMM, Category.OTHER_COMPUTE, Category.DATA,
      Category.FRAMEWORK, Category.UNATTRIBUTED);
  /** Rest between two retransformation batches on attach, so the application runs between pauses. */
  static final long ATTACH_BATCH_REST_MILLIS = 10;

  private static volatile AgentRuntime current;

  private volatile AgentOptions options;
  private final DetailControl control;
  private final WindowSinks windows;

  private AgentRuntime(AgentOptions options, DetailControl control, WindowSinks windows) {
    this.options = options;
    this.control = control;
    this.windows = windows;
  }

  public static void start(String args, Instrumentation inst, boolean attached) {
    ControlArgs request = ControlArgs.split(args);
    AgentOptions options = AgentOptions.parse(request.options, systemProperties(), System.getenv());
    for (String problem : options.problems()) {
      System.err.println(problem);
    }
    Recorder.setRingCapacity(options.ringCapacity());
    DetailControl control = new DetailControl(System.err);
    control.configure(policy(options));
    WindowSinks windows = new WindowSinks(control, dir -> List.of(
        new SummaryWriter(dir.resolve("summary.json"), options.summaryMaxSteps(), MEASURED),
        new ChromeTraceWriter(dir.resolve("trace.json"), options.traceMaxEvents())));
    OverheadGuard guard = new OverheadGuard(control, windows, options.overheadBudgetPercent());

    Path out = options.output().toAbsolutePath();
    List<StepSink> sinks = new ArrayList<>();
    if (!options.console().equals("off")) {
      sinks.add(new ConsoleReporter(System.out, options.console().equals("steps")));
    }
    sinks.add(new SummaryWriter(out.resolve("summary.json"), options.summaryMaxSteps(), MEASURED));
    sinks.add(new TailFilter(new ChromeTraceWriter(out.resolve("trace.json"), options.traceMaxEvents()), control,
        windows));
    sinks.add(windows);
    sinks.add(guard);
    Collector collector = Collector.create(sinks, 50, options.reportIntervalSeconds() * 1000, 1_000_000);
    windows.setStats(collector::stats);
    collector.start();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        collector.close();
        if (!options.console().equals("off")) {
          System.out.println("mltrace: trace " + out.resolve("trace.json") + ", summary " + out.resolve("summary.json"));
        }
      } catch (Throwable t) {
        System.err.println("mltrace: could not write the outputs: " + t);
      }
    }, "mltrace-shutdown"));

    Recorder.setEnabled(true);
    RetransformTimer timer = new RetransformTimer(attached ? ATTACH_BATCH_REST_MILLIS : 0);
    new Installer().install(inst, frameworks(), options.attachBatch(), timer);
    AgentStatus.publish(AgentStatus.VERSION, CommandLine.version());
    AgentStatus.publish(AgentStatus.OUTPUT, out.toString());
    AgentStatus.publish(AgentStatus.ATTACH, timer.report());
    AgentStatus.publish(AgentStatus.ATTACH_PAUSE_NS, String.valueOf(timer.longestPauseNs()));
    startCalibration(guard);
    current = new AgentRuntime(options, control, windows);
    String started = (attached ? "attached: " : "started: ") + timer.report() + "; " + control.policy().describe();
    if (attached) {
      System.err.println("mltrace: " + started);
    }
    reply(request, true, started);
  }

  /** Every instrumented framework. Hooks whose classes are absent simply never match. */
  static List<FrameworkInstrumentation> frameworks() {
    return List.of(new DjlInstrumentation());
  }

  /**
   * A later {@code agentmain} in a JVM where the agent already runs: {@code configure} (the default: a second
   * attach with options), {@code trace}, {@code window_close}, {@code stop} or {@code status}. The outcome goes to
   * the {@code mltrace.agent.reply} property, tagged with the caller's {@code reply} token.
   */
  public static void command(String args) {
    ControlArgs request = ControlArgs.split(args);
    AgentRuntime rt = current;
    if (rt == null) {
      reply(request, false, "mltrace is loaded but did not start; see the target's stderr");
      return;
    }
    try {
      reply(request, true, rt.execute(request));
    } catch (IllegalArgumentException | IllegalStateException e) {
      reply(request, false, e.getMessage());
    } catch (Throwable t) {
      reply(request, false, "command failed: " + t);
    }
  }

  private String execute(ControlArgs request) throws Exception {
    AgentStatus.publish(AgentStatus.STEPS, String.valueOf(Recorder.stepsClosed()));
    switch (request.command()) {
      case "configure":
        return reconfigure(request.options);
      case "status":
        return control.policy().describe();
      case "trace":
        return openWindow(request);
      case "window_close": {
        String closed = windows.closeOpen("done");
        return closed == null ? "no window was open" : closed;
      }
      case "stop": {
        String closed = windows.closeOpen("stopped");
        control.configure(DetailPolicy.off());
        return "detail off (" + control.policy().describe() + ")" + (closed == null ? "" : "; " + closed);
      }
      default:
        throw new IllegalArgumentException("unknown command '" + request.command() + "'");
    }
  }

  private String reconfigure(String args) {
    AgentOptions next = AgentOptions.parse(args, options.asProperties(), Map.of());
    if (!next.problems().isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", next.problems()) + "; nothing changed");
    }
    List<String> fixed = new ArrayList<>();
    for (String key : AgentOptions.KEYS) {
      if (!AgentOptions.RECONFIGURABLE.contains(key) && !next.get(key).equals(options.get(key))) {
        fixed.add(key);
      }
    }
    if (!fixed.isEmpty()) {
      throw new IllegalArgumentException("options fixed when the agent started cannot change: "
          + String.join(", ", fixed) + "; nothing changed");
    }
    options = next;
    control.configure(policy(next));
    return "reconfigured: " + control.policy().describe();
  }

  private String openWindow(ControlArgs request) throws Exception {
    String dir = request.get(ControlArgs.OUT);
    if (dir == null || dir.isEmpty()) {
      throw new IllegalArgumentException("trace needs out=<folder>");
    }
    Path out = Paths.get(dir).toAbsolutePath();
    Files.createDirectories(out);
    String steps = request.get(ControlArgs.STEPS);
    if (steps != null) {
      int n;
      try {
        n = Integer.parseInt(steps);
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n <= 0) {
        throw new IllegalArgumentException("steps must be a positive whole number, not '" + steps + "'");
      }
      return windows.openSteps(n, out);
    }
    long nanos = Durations.parseNanos(request.get(ControlArgs.DURATION));
    if (nanos <= 0) {
      throw new IllegalArgumentException("trace needs steps=N or duration=D (such as 30s)");
    }
    return windows.openDuration(nanos, out);
  }

  static DetailPolicy policy(AgentOptions o) {
    return new DetailPolicy(Mode.of(o.mode()), o.sampleEvery(), o.sampleIntervalNanos(), o.tailPercentile(),
        o.tailWindow(), true);
  }

  /** Measures the hot path's cost per call off the training threads, for the overhead guard's estimate. */
  private static void startCalibration(OverheadGuard guard) {
    Thread t = new Thread(() -> {
      try {
        double[] ns = Recorder.calibrate(20_000, 5);
        // The advice adds a thread-local look-up and a volatile read per call; count them in.
        guard.setCosts(ns[0] + 10, ns[1] + 10);
      } catch (Throwable e) {
        System.err.println("mltrace: hot-path calibration failed, the overhead guard keeps its defaults: " + e);
      }
    }, "mltrace-calibrate");
    t.setDaemon(true);
    t.start();
  }

  private static void reply(ControlArgs request, boolean ok, String message) {
    AgentStatus.publish(AgentStatus.STEPS, String.valueOf(Recorder.stepsClosed()));
    String token = request.get(ControlArgs.REPLY);
    if (token != null) {
      AgentStatus.publish(AgentStatus.REPLY, token + (ok ? " ok " : " error ") + message);
    }
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> m = new HashMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("mltrace.") && !name.startsWith(AgentStatus.PREFIX)) {
        m.put(name, System.getProperty(name));
      }
    }
    return m;
  }
}
