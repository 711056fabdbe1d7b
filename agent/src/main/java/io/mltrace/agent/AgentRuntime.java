package io.mltrace.agent;

import io.mltrace.agent.djl.DjlInstrumentation;
import io.mltrace.agent.dl4j.Dl4jInstrumentation;
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
import io.mltrace.gpu.GpuReport;
import io.mltrace.gpu.GpuTracing;
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
    List<Category> measured = jvm != null ? MEASURED_WITH_JVM : MEASURED;
    GemmCalibration calibration = new GemmCalibration(inst, calibrationCache());
    sinks.add(new SummaryWriter(out.resolve("summary.json"), options.summaryMaxSteps(), measured,
        () -> options.peakGflops() > 0 ? options.peakGflops() : calibration.peakGflops()));
    String traceName = options.traceGzip() ? "trace.json.gz" : "trace.json";
    sinks.add(new ChromeTraceWriter(out.resolve(traceName), options.traceMaxEvents(), options.traceGzip()));
    Installer installer = new Installer();
    sinks.addAll(ExporterSinks.create(options, out, measured, installer::appliedFrameworks, System.getenv(),
        System.err));
    GpuTracing gpu = startGpu(options);
    if (gpu != null && !options.console().equals("off")) {
      sinks.add(new GpuReport(System.out));
    }
    Collector collector = Collector.create(sinks, 50, options.reportIntervalSeconds() * 1000, 1_000_000);
    collector.addEarlySink(jfrWriter(options));
    if (options.peakGflops() <= 0) {
      collector.addEarlySink(calibration);
    }
    if (jvm != null) {
      collector.addSource(jvm);
    }
    if (gpu != null) {
      collector.addSource(gpu.source());
      gpu.followSampledSteps();
    }
    collector.start();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        if (gpu != null) {
          gpu.finish(); // the last window's records reach the collector before it closes
        }
        collector.close();
        if (gpu != null && !options.console().equals("off")) {
          System.out.println("mltrace: " + gpu.stats());
        }
        if (!options.console().equals("off")) {
          System.out.println("mltrace: trace " + out.resolve(traceName) + ", summary " + out.resolve("summary.json")
              + (options.htmlReport() ? ", report " + out.resolve("report.html") : ""));
        }
      } catch (Throwable t) {
        System.err.println("mltrace: could not write the outputs: " + t);
      }
    }, "mltrace-shutdown"));

    if (!attached) {
      drainWhenMainReturns(Thread.currentThread(), collector);
    }
    Recorder.setEnabled(true);
    installer.install(inst, frameworks());
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

  /**
   * GPU tracing through CUPTI for the sampled steps, when {@code gpu=auto} and it is available; else null (and one
   * line {@code GPU tracing unavailable: <reason>} on stderr).
   */
  private static GpuTracing startGpu(AgentOptions options) {
    if (options.gpu().equals("off")) {
      return null;
    }
    GpuTracing gpu = GpuTracing.start(new GpuTracing.Options().cuptiPath(options.cuptiPath()), System.err::println);
    return gpu.available() ? gpu : null;
  }

  /** Every instrumented framework. Hooks whose classes are absent simply never match. */
  static List<FrameworkInstrumentation> frameworks() {
    return List.of(new DjlInstrumentation(), new Dl4jInstrumentation());
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

  /** Where calibrations are cached: {@code $XDG_CACHE_HOME/mltrace} or {@code ~/.cache/mltrace}. */
  private static Path calibrationCache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("mltrace").resolve("calibration.properties");
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
