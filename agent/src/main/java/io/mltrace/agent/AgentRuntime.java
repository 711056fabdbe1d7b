package io.mltrace.agent;

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
import io.mltrace.exporters.jfr.JfrEventWriter;
import io.mltrace.jfr.JfrSource;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wires one agent instance: options, sinks, the collector thread, the instrumentation, and the shutdown hook that
 * writes the files at exit. Called once, by {@link MltraceAgent}, after the bridge is on the bootstrap path.
 */
public final class AgentRuntime {
  /** The categories the current instrumentation measures; the others stay 0 in the outputs. */
  static final List<Category> MEASURED = List.of(Category.GEMM, Category.OTHER_COMPUTE, Category.MEMCPY,
      Category.DATA, Category.FRAMEWORK, Category.UNATTRIBUTED);
  /** What JVM events add to {@link #MEASURED}. */
  static final List<Category> MEASURED_WITH_JVM = List.of(Category.GC, Category.JIT_SAFEPOINT, Category.MEMCPY,
      Category.GEMM, Category.OTHER_COMPUTE, Category.DATA, Category.IDLE, Category.FRAMEWORK, Category.UNATTRIBUTED);

  private AgentRuntime() {}

  public static void start(String args, Instrumentation inst, boolean attached) {
    AgentOptions options = AgentOptions.parse(args, systemProperties(), System.getenv());
    for (String problem : options.problems()) {
      System.err.println(problem);
    }
    Recorder.setRingCapacity(options.ringCapacity());
    Recorder.setSampleEvery(options.sampleEvery());
    Recorder.setProfileEvery(options.djlProfileEvery());

    Path out = options.output().toAbsolutePath();
    List<StepSink> sinks = new ArrayList<>();
    if (!options.console().equals("off")) {
      sinks.add(new ConsoleReporter(System.out, options.console().equals("steps")));
    }
    JfrSource jvm = options.jvmEvents() ? startJvmEvents(options) : null;
    sinks.add(new SummaryWriter(out.resolve("summary.json"), options.summaryMaxSteps(),
        jvm != null ? MEASURED_WITH_JVM : MEASURED));
    sinks.add(new ChromeTraceWriter(out.resolve("trace.json"), options.traceMaxEvents()));
    Collector collector = Collector.create(sinks, 50, options.reportIntervalSeconds() * 1000, 1_000_000);
    collector.addEarlySink(jfrWriter(options));
    if (jvm != null) {
      collector.addSource(jvm);
    }
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

    if (!attached) {
      drainWhenMainReturns(Thread.currentThread(), collector);
    }
    Recorder.setEnabled(true);
    new Installer().install(inst, frameworks());
  }

  /**
   * When the application's main thread returns, drains once before the JVM may begin its shutdown. Why: shutdown
   * hooks run concurrently, and the JVM's own JFR hook stops recordings (the {@code jfr=} file) at once; a
   * non-daemon thread delays the start of shutdown until it ends, so the last steps reach the early sinks first.
   * Bounded: it never outlives the main thread by more than one drain.
   */
  private static void drainWhenMainReturns(Thread main, Collector collector) {
    Thread watcher = new Thread(() -> {
      try {
        main.join();
        collector.drainOnce();
      } catch (Throwable ignored) {
        // Exiting is what matters here.
      }
    }, "mltrace-main-exit");
    watcher.setDaemon(false);
    watcher.start();
  }

  /** Every instrumented framework. Hooks whose classes are absent simply never match. */
  static List<FrameworkInstrumentation> frameworks() {
    return List.of(new DjlInstrumentation());
  }

  /** JVM events from JFR; when JFR is unavailable, one line and the rest runs without them. */
  private static JfrSource startJvmEvents(AgentOptions options) {
    try {
      return JfrSource.start(options.samplePeriodMillis(), options.waitThresholdMillis(), 200_000);
    } catch (Throwable t) {
      System.err.println("mltrace: JVM events unavailable (" + t + "); continuing without gc/jit_safepoint/idle");
      return null;
    }
  }

  private static StepSink jfrWriter(AgentOptions options) {
    Path file = options.jfrFile();
    if (file != null) {
      try {
        return JfrEventWriter.toFile(file.toAbsolutePath());
      } catch (Throwable t) {
        System.err.println("mltrace: cannot record " + file + " (" + t + "); JFR events stay available to jcmd");
      }
    }
    return JfrEventWriter.eventsOnly();
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> m = new HashMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("mltrace.")) {
        m.put(name, System.getProperty(name));
      }
    }
    return m;
  }
}
