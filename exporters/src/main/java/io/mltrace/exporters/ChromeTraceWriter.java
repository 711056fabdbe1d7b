package io.mltrace.exporters;

import io.mltrace.bootstrap.Slots;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.JvmFacts;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.collector.StepVisitor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Writes a Chrome/Perfetto trace ({@code traceEvents}, complete events {@code "ph": "X"}, microsecond
 * {@code ts}/{@code dur}): one named track per thread (sorted in the order threads were first seen), each detailed
 * step as an event with its spans nested inside, and a {@code jvm heap} counter track (heap in use when each stored
 * step ended, as the collector sampled it: {@link Step#jvm()}). Each stored step is written by a
 * {@link StepVisitor} over the step's one model ({@link Step#accept}).
 *
 * <p>Each memory series a stored step measured ({@link Step#memory()}) is a point of a counter track named
 * {@code memory <series>} ({@code memory arrays_live_bytes}...; Perfetto adds the argument's name): bytes as
 * {@code mb} (one decimal, as the heap counter), counts as {@code count}. A level (state at the step's end) is
 * placed at the step's end; a flow (what the step did: bytes allocated, arrays created) at the step's start, so
 * that its value spans the step it describes. A flow is the step's thread's: when the trace holds steps of more than
 * one thread, its track is one per thread ({@code memory heap_allocated_bytes tid 17}); levels are the process's.
 * Points cost events like the rest (one per series per step).
 *
 * <p>JVM events of a stored step (GC pauses, safepoints, compilations, parks, class loads; not execution samples)
 * are complete events of category {@code jvm}: on the thread they happened on, or, when they stopped every thread,
 * on the {@code JVM (all threads)} track. GPU records are complete events on their own process, {@code GPU
 * <device>}, one track per stream ({@code stream <n>}), and a flow arrow ({@code "ph": "s"} inside the op span that
 * launched the record, {@code "ph": "f"} with {@code "bp": "e"} inside the record) joins each to its op. Their
 * {@code args} name the step as {@code in_step} and carry {@code span_id} 0 (not a recorded span), so that readers
 * that collect a step's spans by {@code args.step} and {@code span_id} see only recorded spans. Copies and memsets
 * also feed bandwidth counter tracks per direction on the GPU's process ({@link CopyBandwidthCounters}).
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
  private final List<Step> steps = new ArrayList<>();
  private final List<Span> outside = new ArrayList<>();
  private final Map<Long, String> threadNames = new LinkedHashMap<>();
  private long events;
  private long stepsNotStored;
  private long spansNotStored;
  private long baseNs = Long.MIN_VALUE;
  private long flowIds;
  private boolean jvmTrack;
  /** Device → streams seen on it, for the GPU tracks' names. */
  private final Map<Integer, TreeSet<Integer>> gpuStreams = new TreeMap<>();
  private int writeErrors;
  /**
   * The stored steps' and spans' events, rendered once each (the file is written every report interval: rendering
   * all of it each time grew with the run, to about 1.4 s every 10 s at the event limit; TraceFlushBenchmark). They
   * depend on the time base and on whether flows are per thread: when either changes, all is rendered again.
   */
  private final StringBuilder counterEvents = new StringBuilder();
  private final StringBuilder stepEvents = new StringBuilder();
  private final StringBuilder outsideEvents = new StringBuilder();
  private int renderedSteps;
  private int renderedOutside;
  private long renderedBaseNs = Long.MIN_VALUE;
  private boolean renderedFlowsPerThread;
  /** A GC pause or safepoint overlapping two steps (or steps of two threads) is one activity: written once. */
  private final Set<ExternalActivity> jvmWritten = Collections.newSetFromMap(new IdentityHashMap<>());
  /** Changes since the file was last written: a flush with none writes nothing. */
  private long changes;
  private long writtenChanges = -1;

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
    long cost = 2 + step.spans().size() + step.memory().values().size();
    for (ExternalActivity a : step.external()) {
      cost += a.isSample() ? 0 : a.kind().isGpu() ? 3 : 1;
      cost += CopyBandwidthCounters.counted(a) ? 2 : 0; // its bandwidth counter's points at its start and end
    }
    changes++;
    if (events + cost > maxEvents) {
      stepsNotStored++;
      return;
    }
    base(step.startNs());
    events += cost;
    steps.add(step);
    for (ExternalActivity a : step.external()) {
      if (a.kind().isGpu()) {
        base(a.startNs());
        gpuStreams.computeIfAbsent(a.device(), d -> new TreeSet<>()).add(a.stream());
      } else if (!a.isSample()) {
        base(a.startNs());
        jvmTrack |= a.threadId() == ExternalActivity.ALL_THREADS;
      }
    }
    threadNames.putIfAbsent(step.threadId(), step.threadName());
  }

  @Override
  public void onSpanOutsideStep(Span span) {
    changes++;
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
    if (changes == writtenChanges) {
      return; // the file already holds all of it (a job past the event limit, or one that stopped recording)
    }
    try {
      AtomicFiles.writeAtomically(file, parts(), gzip);
      writtenChanges = changes;
    } catch (IOException e) {
      if (writeErrors++ == 0) {
        System.err.println("mltrace: cannot write " + file + ": " + e.getMessage());
      }
    }
  }

  /** The whole file's text (the tests' view of {@link #parts}). */
  String render() {
    StringBuilder out = new StringBuilder();
    for (CharSequence part : parts()) {
      out.append(part);
    }
    return out.toString();
  }

  /**
   * The file, in parts written one after the other: the metadata (small, rendered each time), the counters, the
   * steps' events and the spans outside steps (each rendered once, {@link #renderNew}), the closing.
   */
  private List<CharSequence> parts() {
    renderNew();
    StringBuilder head = new StringBuilder(1024);
    head.append("{\"displayTimeUnit\": \"ms\", \"otherData\": {\"producer\": \"mltrace\"");
    if (baseNs != Long.MIN_VALUE) {
      // The System.nanoTime() of ts 0: what puts several JVMs' traces on one clock (mltrace cluster).
      head.append(", \"clock_base_ns\": ").append(baseNs);
    }
    if (stepsNotStored > 0 || spansNotStored > 0) {
      head.append(", \"mltrace_truncated\": \"event limit ").append(maxEvents).append(" reached: ")
          .append(stepsNotStored).append(" steps and ").append(spansNotStored).append(" spans not stored\"");
    }
    head.append("},\n\"traceEvents\": [\n");
    head.append("{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": 1, \"args\": {\"name\": \"mltrace\"}}");
    int sortIndex = 0;
    for (Map.Entry<Long, String> t : threadNames.entrySet()) {
      head.append(",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": ").append(t.getKey())
          .append(", \"args\": {\"name\": ");
      Json.string(head, t.getValue()).append("}}");
      head.append(",\n{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": 1, \"tid\": ").append(t.getKey())
          .append(", \"args\": {\"sort_index\": ").append(sortIndex++).append("}}");
    }
    if (jvmTrack) {
      head.append(",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 1, \"tid\": ")
          .append(ExternalActivity.ALL_THREADS).append(", \"args\": {\"name\": \"JVM (all threads)\"}}");
      head.append(",\n{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": 1, \"tid\": ")
          .append(ExternalActivity.ALL_THREADS).append(", \"args\": {\"sort_index\": ").append(sortIndex)
          .append("}}");
    }
    for (Map.Entry<Integer, TreeSet<Integer>> d : gpuStreams.entrySet()) {
      int pid = gpuPid(d.getKey());
      head.append(",\n{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": ").append(pid)
          .append(", \"args\": {\"name\": \"GPU ").append(d.getKey()).append("\"}}");
      head.append(",\n{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": ").append(pid)
          .append(", \"args\": {\"sort_index\": ").append(pid).append("}}");
      for (int stream : d.getValue()) {
        head.append(",\n{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": ").append(pid)
            .append(", \"tid\": ").append(stream).append(", \"args\": {\"name\": \"stream ").append(stream)
            .append("\"}}");
      }
    }
    StringBuilder tail = new StringBuilder(256);
    if (stepsNotStored > 0 || spansNotStored > 0) {
      long last = baseNs;
      for (Step st : steps) {
        last = Math.max(last, st.endNs());
      }
      tail.append(",\n{\"ph\": \"i\", \"s\": \"g\", \"name\": \"mltrace: event limit reached\", \"pid\": 1, \"tid\": 0")
          .append(", \"ts\": ");
      Json.micros(tail, last - baseNs).append(", \"args\": {\"max_events\": ").append(maxEvents)
          .append(", \"steps_not_stored\": ").append(stepsNotStored).append(", \"spans_not_stored\": ")
          .append(spansNotStored).append("}}");
    }
    tail.append("\n]}\n");
    return List.of(head, counterEvents, stepEvents, outsideEvents, tail);
  }

  /**
   * Renders the steps and spans stored since the last call; everything again when the time base moved (an event
   * earlier than every one before) or a second thread's steps made flows per thread.
   */
  private void renderNew() {
    boolean flowsPerThread = threadNames.size() > 1;
    if (baseNs != renderedBaseNs || flowsPerThread != renderedFlowsPerThread) {
      counterEvents.setLength(0);
      stepEvents.setLength(0);
      outsideEvents.setLength(0);
      jvmWritten.clear();
      flowIds = 0;
      renderedSteps = 0;
      renderedOutside = 0;
      renderedBaseNs = baseNs;
      renderedFlowsPerThread = flowsPerThread;
    }
    StepEvents visitor = new StepEvents(stepEvents);
    for (; renderedSteps < steps.size(); renderedSteps++) {
      Step step = steps.get(renderedSteps);
      heap(counterEvents, step.jvm());
      memory(counterEvents, step, flowsPerThread);
      step.accept(visitor);
    }
    for (; renderedOutside < outside.size(); renderedOutside++) {
      span(outsideEvents, outside.get(renderedOutside), 0);
    }
  }

  /** Writes one step's events: the step, its spans, its GPU records with their flow arrows, its JVM events. */
  private final class StepEvents implements StepVisitor {
    private final StringBuilder out;
    private long stepNumber;

    StepEvents(StringBuilder out) {
      this.out = out;
    }

    @Override
    public void step(Step step) {
      stepNumber = step.number();
      out.append(",\n{\"ph\": \"X\", \"cat\": \"step\", \"name\": \"step ").append(step.number()).append('"');
      times(out, step.threadId(), step.startNs(), step.endNs());
      out.append(", \"args\": {\"step\": ").append(step.number()).append(", \"flops\": ").append(step.flops());
      out.append(", \"span_id\": ").append(step.spanId());
      for (int a = 0; a < Slots.STEP_ATTRIBUTE_COUNT; a++) {
        if (step.attribute(a) != 0) {
          out.append(", \"").append(Slots.attributeName(a)).append("\": ")
              .append(Slots.attributeValue(a, step.attribute(a)));
        }
      }
      out.append("}}");
    }

    @Override
    public void span(Span span, Span parent, int depth) {
      ChromeTraceWriter.this.span(out, span, stepNumber);
    }

    @Override
    public void gpu(ExternalActivity record, Span launcher) {
      ChromeTraceWriter.this.gpu(out, record, launcher, stepNumber);
    }

    @Override
    public void jvm(ExternalActivity event) {
      if (jvmWritten.add(event)) {
        ChromeTraceWriter.this.jvm(out, event, stepNumber);
      }
    }

    @Override
    public void end(Step step) {
      CopyBandwidthCounters.append(out, step.external(), baseNs);
    }
  }

  /** The heap in use when the step ended, as the collector sampled it: a point of the {@code jvm heap} counter. */
  private void heap(StringBuilder out, JvmFacts jvm) {
    if (jvm.sampledAtNs() == 0) {
      return;
    }
    long used = jvm.heapUsedBytes();
    out.append(",\n{\"ph\": \"C\", \"name\": \"jvm heap\", \"pid\": 1, \"ts\": ");
    Json.micros(out, jvm.sampledAtNs() - baseNs).append(", \"args\": {\"used_mb\": ");
    Json.tenths(out, used, 1024 * 1024).append("}}");
  }

  /** The step's memory series, each a point of its {@code memory <series>} counter track. */
  private void memory(StringBuilder out, Step step, boolean flowsPerThread) {
    for (Map.Entry<MemorySeries, Long> e : step.memory().values().entrySet()) {
      MemorySeries series = e.getKey();
      out.append(",\n{\"ph\": \"C\", \"name\": \"memory ").append(series.key());
      if (flowsPerThread && !series.isLevel()) {
        out.append(" tid ").append(step.threadId());
      }
      out.append("\", \"pid\": 1, \"ts\": ");
      Json.micros(out, (series.isLevel() ? step.endNs() : step.startNs()) - baseNs);
      if (series.isBytes()) {
        Json.tenths(out.append(", \"args\": {\"mb\": "), e.getValue(), 1024 * 1024).append("}}");
      } else {
        out.append(", \"args\": {\"count\": ").append(e.getValue()).append("}}");
      }
    }
  }

  private void span(StringBuilder out, Span s, long stepNumber) {
    out.append(",\n{\"ph\": \"X\", \"cat\": ");
    Json.string(out, s.activityKind().key()).append(", \"name\": ");
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
    if (s.partition() >= 0) {
      out.append(", \"partition\": ").append(s.partition());
    }
    String dtype = s.dtypeName();
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

  /** A distinct pid per device, after the process's own (pid 1). */
  static int gpuPid(int device) {
    return 1000 + Math.max(0, device);
  }

  private void jvm(StringBuilder out, ExternalActivity a, long stepNumber) {
    out.append(",\n{\"ph\": \"X\", \"cat\": \"").append(a.kind().key()).append("\", \"name\": ");
    Json.string(out, a.name());
    times(out, 1, a.threadId(), a.startNs(), a.endNs());
    out.append(", \"args\": {\"span_id\": 0, \"in_step\": ").append(stepNumber);
    if (a.category() != null) {
      out.append(", \"category\": \"").append(a.category().key()).append('"');
    }
    if (a.detail() != null) {
      Json.string(out.append(", \"detail\": "), a.detail());
    }
    out.append("}}");
  }

  /** The record on its stream's track and, when its launching op was stored, a flow arrow from the op to it. */
  private void gpu(StringBuilder out, ExternalActivity a, Span launcher, long stepNumber) {
    int pid = gpuPid(a.device());
    out.append(",\n{\"ph\": \"X\", \"cat\": \"").append(a.kind().key()).append("\", \"name\": ");
    Json.string(out, a.name());
    times(out, pid, a.stream(), a.startNs(), a.endNs());
    out.append(", \"args\": {\"span_id\": 0, \"in_step\": ").append(stepNumber).append(", \"device\": ")
        .append(a.device())
        .append(", \"stream\": ").append(a.stream()).append(", \"launched_by\": ").append(a.correlatedSpanId());
    if (a.bytes() > 0) {
      out.append(", \"bytes\": ").append(a.bytes());
    }
    if (a.detail() != null) {
      Json.string(out.append(", \"detail\": "), a.detail());
    }
    out.append("}}");
    if (launcher == null) {
      return;
    }
    long id = ++flowIds;
    // Bind points strictly inside both slices, so each end attaches to the intended one.
    long from = launcher.startNs() + launcher.durationNs() / 2;
    long to = a.startNs() + a.durationNs() / 2;
    out.append(",\n{\"ph\": \"s\", \"cat\": \"launch\", \"name\": \"launch\", \"id\": ").append(id)
        .append(", \"pid\": 1, \"tid\": ").append(launcher.threadId()).append(", \"ts\": ");
    Json.micros(out, from - baseNs).append('}');
    out.append(",\n{\"ph\": \"f\", \"bp\": \"e\", \"cat\": \"launch\", \"name\": \"launch\", \"id\": ")
        .append(id).append(", \"pid\": ").append(pid).append(", \"tid\": ").append(a.stream())
        .append(", \"ts\": ");
    Json.micros(out, to - baseNs).append('}');
  }

  private void times(StringBuilder out, long tid, long start, long end) {
    times(out, 1, tid, start, end);
  }

  private void times(StringBuilder out, int pid, long tid, long start, long end) {
    out.append(", \"pid\": ").append(pid).append(", \"tid\": ").append(tid).append(", \"ts\": ");
    Json.micros(out, start - baseNs).append(", \"dur\": ");
    Json.micros(out, end - start);
  }
}
