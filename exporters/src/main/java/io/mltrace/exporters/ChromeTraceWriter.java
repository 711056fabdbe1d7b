package io.mltrace.exporters;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Chrome/Perfetto trace ({@code traceEvents}, complete events {@code "ph": "X"}, microsecond
 * {@code ts}/{@code dur}): one named track per thread (sorted in the order threads were first seen), each detailed
 * step as an event with its spans nested inside, and a {@code jvm heap} counter track (heap in use, sampled by the
 * collector as it closes each sampled step).
 *
 * <p>Bounded: at most {@code maxEvents} events are kept; past that, steps are counted instead of stored, and the
 * file says so twice: a metadata note ({@code otherData.mltrace_truncated}) and a global instant event named
 * {@code mltrace: event limit reached} that shows in the viewer. With {@code gzip} the file is written
 * gzip-compressed (name it {@code trace.json.gz}; Perfetto opens it as is).
 */
public final class ChromeTraceWriter implements StepSink {
  private final Path file;
  private final int maxEvents;
  private final boolean gzip;
  /** Pairs of (nanoTime, heap bytes in use), one per stored step. */
  private final List<long[]> heap = new ArrayList<>();
  private final List<Step> steps = new ArrayList<>();
  private final List<Span> outside = new ArrayList<>();
  private final Map<Long, String> threadNames = new LinkedHashMap<>();
  private long events;
  private long stepsNotStored;
  private long spansNotStored;
  private long baseNs = Long.MIN_VALUE;
  private int writeErrors;

  public ChromeTraceWriter(Path file, int maxEvents) {
    this(file, maxEvents, false);
  }

  public ChromeTraceWriter(Path file, int maxEvents, boolean gzip) {
    if (maxEvents <= 0) {
      throw new IllegalArgumentException("maxEvents must be positive.");
    }
    this.file = file;
    this.maxEvents = maxEvents;
    this.gzip = gzip;
  }

  @Override
  public void onStep(Step step) {
    if (!step.detailed()) {
      return;
    }
    if (events + 2 + step.spans().size() > maxEvents) {
      stepsNotStored++;
      return;
    }
    base(step.startNs());
    events += 2 + step.spans().size();
    steps.add(step);
    Runtime rt = Runtime.getRuntime();
    heap.add(new long[] {System.nanoTime(), rt.totalMemory() - rt.freeMemory()});
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
      if (gzip) {
        writeGzipAtomically(render());
      } else {
        AtomicFiles.writeAtomically(file, render());
      }
    } catch (IOException e) {
      if (writeErrors++ == 0) {
        System.err.println("mltrace: cannot write " + file + ": " + e.getMessage());
      }
    }
  }

  private void writeGzipAtomically(String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(file.getFileName() + ".tmp");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
    int sortIndex = 0;
    for (Map.Entry<Long, String> t : threadNames.entrySet()) {
      out.append(",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": ").append(t.getKey())
          .append(", \"args\": {\"name\": ");
      Json.string(out, t.getValue()).append("}}");
      out.append(",\n{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": 1, \"tid\": ").append(t.getKey())
          .append(", \"args\": {\"sort_index\": ").append(sortIndex++).append("}}");
    }
    for (long[] h : heap) {
      out.append(",\n{\"ph\": \"C\", \"name\": \"jvm heap\", \"pid\": 1, \"ts\": ");
      Json.micros(out, h[0] - baseNs).append(", \"args\": {\"used_mb\": ");
      out.append(h[1] / (1024 * 1024)).append('.').append((h[1] % (1024 * 1024)) * 10 / (1024 * 1024)).append("}}");
    }
    for (Step step : steps) {
      out.append(",\n{\"ph\": \"X\", \"cat\": \"step\", \"name\": \"step ").append(step.number()).append('"');
      times(out, step.threadId(), step.startNs(), step.endNs());
      out.append(", \"args\": {\"step\": ").append(step.number()).append(", \"flops\": ").append(step.flops());
      out.append(", \"span_id\": ").append(step.spanId());
      for (int a = 0; a < Slots.STEP_ATTRIBUTE_COUNT; a++) {
        if (step.attribute(a) != 0) {
          out.append(", \"").append(Slots.attributeName(a)).append("\": ").append(step.attribute(a));
        }
      }
      out.append("}}");
      for (Span s : step.spans()) {
        span(out, s, step.number());
      }
    }
    for (Span s : outside) {
      span(out, s, 0);
    }
    if (stepsNotStored > 0 || spansNotStored > 0) {
      long last = baseNs;
      for (Step st : steps) {
        last = Math.max(last, st.endNs());
      }
      out.append(",\n{\"ph\": \"i\", \"s\": \"g\", \"name\": \"mltrace: event limit reached\", \"pid\": 1, \"tid\": 0")
          .append(", \"ts\": ");
      Json.micros(out, last - baseNs).append(", \"args\": {\"max_events\": ").append(maxEvents)
          .append(", \"steps_not_stored\": ").append(stepsNotStored).append(", \"spans_not_stored\": ")
          .append(spansNotStored).append("}}");
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
    String dtype = DataTypes.name(s.dtype());
    if (dtype != null) {
      out.append(", \"dtype\": \"").append(dtype).append('"');
    }
    long[][] shapes = s.inputShapes();
    if (shapes.length > 0) {
      // An op records its inputs; a layer (DJL and DL4J alike) its input and then its output shape.
      out.append(", \"input_shapes\": [");
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
