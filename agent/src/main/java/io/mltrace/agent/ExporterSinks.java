package io.mltrace.agent;

import io.mltrace.collector.Category;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.html.HtmlReportWriter;
import io.mltrace.exporters.otel.MetricsSink;
import io.mltrace.exporters.otel.OtlpSettings;
import io.mltrace.exporters.otel.OtlpTraceSink;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
    return create(options, out, measured, framework, env, Map.of(), err);
  }

  /** @param resource resource attributes the agent found itself (a Spark executor's identity) */
  static List<StepSink> create(AgentOptions options, Path out, List<Category> measured, Supplier<String> framework,
      Map<String, String> env, Map<String, String> resource, PrintStream err) {
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
        traces = OtlpTraceSink.create(otlp, framework, err);
        sinks.add(traces);
      } catch (Throwable t) {
        err.println("mltrace: OTLP traces to " + otlp.tracesEndpoint() + " not started (" + t + "); traces disabled");
      }
    }
    String promHost = options.prometheusHost();
    if (promHost != null || !otlp.metricsEndpoint().isEmpty()) {
      OtlpTraceSink t = traces;
      try {
        sinks.add(metrics(otlp, promHost, options, t));
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

  private static MetricsSink metrics(OtlpSettings otlp, String promHost, AgentOptions options, OtlpTraceSink traces) {
    return new MetricsSink(otlp.toResource(), otlp, promHost, options.prometheusPort(),
        options.peakGflops(), traces == null ? null : traces::dropped, traces == null ? null : traces.thread());
  }
}
