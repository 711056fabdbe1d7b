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
    sinks.add(new SummaryWriter(out.resolve("summary.json"), options.summaryMaxSteps(), MEASURED));
    sinks.add(new ChromeTraceWriter(out.resolve("trace.json"), options.traceMaxEvents()));
    Collector collector = Collector.create(sinks, 50, options.reportIntervalSeconds() * 1000, 1_000_000);
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
    new Installer().install(inst, frameworks());
  }

  /** Every instrumented framework. Hooks whose classes are absent simply never match. */
  static List<FrameworkInstrumentation> frameworks() {
    return List.of(new DjlInstrumentation());
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
