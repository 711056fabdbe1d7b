package io.mltrace.exporters;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Chrome/Perfetto trace ({@code traceEvents}, complete events {@code "ph": "X"}, microsecond
 * {@code ts}/{@code dur}): one track per thread, each detailed step as an event with its spans nested inside.
 *
 * <p>Bounded: at most {@code maxEvents} span events are kept; past that, steps are counted in a metadata note
 * ({@code mltrace_truncated}) instead of stored.
 */
public final class ChromeTraceWriter implements StepSink {
  private final Path file;
  private final int maxEvents;
  private final List<Step> steps = new ArrayList<>();
  private final List<Span> outside = new ArrayList<>();
  private final Map<Long, String> threadNames = new LinkedHashMap<>();
  private long events;
  private long stepsNotStored;
  private long spansNotStored;
  private long baseNs = Long.MIN_VALUE;
  private int writeErrors;

  public ChromeTraceWriter(Path file, int maxEvents) {
    if (maxEvents <= 0) {
      throw new IllegalArgumentException("maxEvents must be positive.");
    }
    this.file = file;
    this.maxEvents = maxEvents;
  }

  @Override
  public void onStep(Step step) {
    if (!step.detailed()) {
      return;
    }
    if (events + 1 + step.spans().size() > maxEvents) {
      stepsNotStored++;
      return;
    }
    base(step.startNs());
    events += 1 + step.spans().size();
    steps.add(step);
    threadNames.putIfAbsent(step.threadId(), step.threadName());
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    if (events + 1 > maxEvents) {
      spansNotStored++;
      return;
    }
    base(span.startNs());
    events++;
    outside.add(span);
  }

  private void base(long ns) {
    if (baseNs == Long.MIN_VALUE || ns < baseNs) {
      baseNs = ns;
    }
  }

  @Override
  public void flush(RunStats stats) {
    try {
      AtomicFiles.writeAtomically(file, render());
    } catch (IOException e) {
      if (writeErrors++ == 0) {
        System.err.println("mltrace: cannot write " + file + ": " + e.getMessage());
      }
    }
  }

  String render() {
    StringBuilder out = new StringBuilder(1024 + (int) Math.min(Integer.MAX_VALUE / 2, events * 200));
    out.append("{\"displayTimeUnit\": \"ms\", \"otherData\": {\"producer\": \"mltrace\"");
    if (stepsNotStored > 0 || spansNotStored > 0) {
      out.append(", \"mltrace_truncated\": \"event limit ").append(maxEvents).append(" reached: ")
          .append(stepsNotStored).append(" steps and ").append(spansNotStored).append(" spans not stored\"");
    }
    out.append("},\n\"traceEvents\": [\n");
    out.append("{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 1, \"args\": {\"name\": \"mltrace\"}}");
    for (Map.Entry<Long, String> t : threadNames.entrySet()) {
      out.append(",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": ").append(t.getKey())
          .append(", \"args\": {\"name\": ");
      Json.string(out, t.getValue()).append("}}");
    }
    for (Step step : steps) {
      out.append(",\n{\"ph\": \"X\", \"cat\": \"step\", \"name\": \"step ").append(step.number()).append('"');
      times(out, step.threadId(), step.startNs(), step.endNs());
      out.append(", \"args\": {\"step\": ").append(step.number()).append(", \"flops\": ").append(step.flops());
      out.append(", \"span_id\": ").append(step.spanId()).append("}}");
      for (Span s : step.spans()) {
        span(out, s, step.number());
      }
    }
    for (Span s : outside) {
      span(out, s, 0);
    }
    return out.append("\n]}\n").toString();
  }

  private void span(StringBuilder out, Span s, long stepNumber) {
    out.append(",\n{\"ph\": \"X\", \"cat\": ");
    Json.string(out, Kind.name(s.kind())).append(", \"name\": ");
    Json.string(out, s.name());
    times(out, s.threadId(), s.startNs(), s.endNs());
    out.append(", \"args\": {\"span_id\": ").append(s.spanId()).append(", \"parent_id\": ").append(s.parentId());
    if (stepNumber > 0) {
      out.append(", \"step\": ").append(stepNumber);
    }
    if (s.flops() > 0) {
      out.append(", \"flops\": ").append(s.flops());
    }
    if (s.bytes() > 0) {
      out.append(", \"bytes\": ").append(s.bytes());
    }
    if (s.estimated()) {
      out.append(", \"estimate\": true");
    }
    if (s.dtype() != null) {
      out.append(", \"dtype\": ");
      Json.string(out, s.dtype());
    }
    long[][] shapes = s.inputShapes();
    if (shapes.length > 0) {
      // A layer records its input and its output shape; an op records its inputs.
      out.append(s.kind() == Kind.LAYER ? ", \"shapes\": [" : ", \"input_shapes\": [");
      for (int i = 0; i < shapes.length; i++) {
        out.append(i == 0 ? "[" : ", [");
        for (int j = 0; j < shapes[i].length; j++) {
          out.append(j == 0 ? "" : ", ").append(shapes[i][j]);
        }
        out.append(']');
      }
      out.append(']');
    }
    out.append("}}");
  }

  private void times(StringBuilder out, long tid, long start, long end) {
    out.append(", \"pid\": 1, \"tid\": ").append(tid).append(", \"ts\": ");
    Json.micros(out, start - baseNs).append(", \"dur\": ");
    Json.micros(out, end - start);
  }
}
