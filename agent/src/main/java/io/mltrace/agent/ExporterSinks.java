package io.mltrace.agent;

import io.mltrace.agent.cluster.ClusterClock;
import io.mltrace.agent.cluster.PrometheusTarget;
import io.mltrace.agent.cluster.WorkerIdentity;
import io.mltrace.agent.control.AgentStatus;
import io.mltrace.collector.Category;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.html.HtmlReportWriter;
import io.mltrace.exporters.otel.MetricsSink;
import io.mltrace.exporters.otel.OtlpSettings;
import io.mltrace.exporters.otel.OtlpTraceSink;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The optional sinks: the HTML report, OTLP traces, and metrics (OTLP and/or a Prometheus endpoint). A sink that
 * cannot start (a bad endpoint, a port in use) is reported on one stderr line and left out; the others and the
 * application go on.
 */
final class ExporterSinks {
  /** Bars per step in the HTML report; past this the report says how many it shows. */
  static final int HTML_MAX_STEPS = 5000;

  private ExporterSinks() {}

  static List<StepSink> create(AgentOptions options, Path out, List<Category> measured, Supplier<String> framework,
      Map<String, String> env, PrintStream err) {
    return create(options, out, measured, framework, env, WorkerIdentity.NONE, err);
  }

  static List<StepSink> create(AgentOptions options, Path out, List<Category> measured, Supplier<String> framework,
      Map<String, String> env, WorkerIdentity worker, PrintStream err) {
    return create(options, out, measured, framework, env, worker, ClusterClock.NONE.epochMinusNanoTime(), err);
  }

  /**
   * @param worker this JVM's place in a cluster job: its resource attributes and Prometheus labels
   * @param wallClock epoch ns minus nanoTime for OTLP spans ({@link ClusterClock#epochMinusNanoTime})
   */
  static List<StepSink> create(AgentOptions options, Path out, List<Category> measured, Supplier<String> framework,
      Map<String, String> env, WorkerIdentity worker, LongSupplier wallClock, PrintStream err) {
    Map<String, String> resource = worker.resourceAttributes();
    List<StepSink> sinks = new ArrayList<>();
    if (options.htmlReport()) {
      sinks.add(new HtmlReportWriter(out.resolve("report.html"), HTML_MAX_STEPS, measured));
    }
    OtlpSettings otlp = OtlpSettings.resolve(options.otlpEndpoint(), options.otlpProtocol(), options.otlpQueueSpans(),
        env, resource);
    for (String problem : otlp.problems()) {
      err.println(problem);
    }
    OtlpTraceSink traces = null;
    if (!otlp.tracesEndpoint().isEmpty()) {
      try {
        traces = OtlpTraceSink.create(otlp, framework, err, wallClock);
        sinks.add(traces);
      } catch (Throwable t) {
        err.println("mltrace: OTLP traces to " + otlp.tracesEndpoint() + " not started (" + t + "); traces disabled");
      }
    }
    String promHost = options.prometheusHost();
    if (promHost != null || !otlp.metricsEndpoint().isEmpty()) {
      OtlpTraceSink t = traces;
      try {
        MetricsSink metrics = metrics(otlp, promHost, options, t);
        sinks.add(metrics);
        if (promHost != null) {
          announce(metrics.prometheusPort(), promHost, options, worker, sinks, err);
        }
      } catch (Throwable e) {
        err.println("mltrace: Prometheus endpoint " + promHost + ":" + options.prometheusPort() + " not started ("
            + e + "); metrics endpoint disabled");
        if (!otlp.metricsEndpoint().isEmpty()) {
          try {
            sinks.add(metrics(otlp, null, options, t));
          } catch (Throwable again) {
            err.println("mltrace: OTLP metrics not started (" + again + "); metrics disabled");
          }
        }
      }
    }
    return sinks;
  }

  /**
   * Publishes the scrape endpoint (the attach API's {@code status}; one stderr line when its port was chosen at
   * start) and, with {@code prometheus_sd}, writes the file Prometheus discovers it by (deleted at exit).
   */
  private static void announce(int port, String host, AgentOptions options, WorkerIdentity worker,
      List<StepSink> sinks, PrintStream err) {
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/metrics";
    AgentStatus.publish(AgentStatus.METRICS, url);
    if (options.prometheusPort() == 0) {
      err.println("mltrace: Prometheus endpoint " + url);
    }
    if (options.prometheusSd() == null) {
      return;
    }
    try {
      sinks.add(PrometheusTarget.announce(Path.of(options.prometheusSd()), host, port, worker.host(),
          worker.prometheusLabels(ProcessHandle.current().pid())));
    } catch (Throwable e) {
      err.println("mltrace: Prometheus target file in " + options.prometheusSd() + " not written (" + e
          + "); the endpoint runs, undiscovered");
    }
  }

  private static MetricsSink metrics(OtlpSettings otlp, String promHost, AgentOptions options, OtlpTraceSink traces) {
    return new MetricsSink(otlp.toResource(), otlp, promHost, options.prometheusPort(),
        options.peakGflops(), traces == null ? null : traces::dropped, traces == null ? null : traces.thread());
  }
}
