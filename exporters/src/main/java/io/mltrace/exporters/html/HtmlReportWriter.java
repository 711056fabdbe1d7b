package io.mltrace.exporters.html;

import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Leak;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.MemorySite;
import io.mltrace.collector.RunStats;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.collector.StepVisitor;
import io.mltrace.exporters.AtomicFiles;
import io.mltrace.exporters.GpuSummary;
import io.mltrace.exporters.RunAggregates;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code report.html}: one self-contained file (its script and charts are inline; nothing is fetched when it
 * is opened) with the run summary, the breakdown as a stacked bar per step and a donut overall, the top ops by time
 * and by FLOPs, the top host frames of framework and unattributed time (execution samples, by top frame), and
 * the timeline of one sampled step with its GPU records on one row per device stream, and for GPU jobs the idle
 * time of each stream split as HTA splits it and the launch statistics per op ({@link GpuSummary}). When steps
 * measured memory ({@link Step#memory()}): the memory held at each step's end (levels; the disjoint kinds stacked,
 * the overlapping ones as lines), what each step allocated (flows), the leak suspects with their creation sites
 * ({@link RunStats#leaks()}), and where the framework names them (DJL's {@code NDManager}s) what held the arrays
 * created in a step and still alive at its end, per holder over the run; nothing of it when no step measured memory.
 *
 * <p>Memory is bounded: at most {@code maxSteps} step rows and as many memory rows (past that, every other memory row
 * is dropped and every second, fourth... step kept, so that the memory chart spans the run), {@link #MAX_OP_NAMES} op
 * names, {@link #MAX_TIMELINE_SPANS} timeline spans, {@link #TOP_SITES} sites per suspect and {@link #MAX_HOLDERS}
 * holders are kept; the totals
 * count every step.
 */
public final class HtmlReportWriter implements StepSink {
  static final int MAX_OP_NAMES = 1000;
  static final int MAX_TIMELINE_SPANS = 5000;
  static final int TOP_FRAMES = 15;
  static final int TOP_SITES = 5;
  /** Holders (a DJL {@code NDManager}'s label) kept for the survivors table; the rest are counted as omitted. */
  static final int MAX_HOLDERS = 32;
  private static final MemorySeries[] SERIES = MemorySeries.values();
  static final String TEMPLATE = "report-template.html";
  static final String DATA_MARKER = "/*MLTRACE_DATA*/null";

  private final Path file;
  private final int maxSteps;
  private final List<Category> measured;
  private final List<long[]> rows = new ArrayList<>();
  /** {@link #rows}' JSON up to {@link #renderedRowCount}. */
  private final StringBuilder renderedRows = new StringBuilder();
  private int renderedRowCount;
  /**
   * Per kept step with memory: its number, then each series' value or {@link Long#MIN_VALUE} when not measured. A
   * leak shows over the whole run, so past {@code maxSteps} rows every other row is dropped and every
   * {@link #memoryStride}th step is kept from then on.
   */
  private final List<long[]> memoryRows = new ArrayList<>();
  private long memoryStride = 1;
  private long memorySteps;
  private final EnumSet<MemorySeries> memorySeen = EnumSet.noneOf(MemorySeries.class);
  /** Per holder label: steps it held survivors in, their bytes summed, the most, the last step's bytes and number. */
  private final Map<String, long[]> holders = new LinkedHashMap<>();
  private long holdersOmitted;
  private final long[] total = new long[Category.values().length];
  private final Map<String, long[]> ops = new LinkedHashMap<>();
  private long steps;
  private long detailedSteps;
  private long wallNs;
  private long flops;
  private long opNamesOmitted;
  private Step timeline;
  private final RunAggregates frames = new RunAggregates();
  private final GpuSummary gpu = new GpuSummary();
  private int writeErrors;

  public HtmlReportWriter(Path file, int maxSteps, List<Category> measured) {
    if (maxSteps <= 0) {
      throw new IllegalArgumentException("maxSteps must be positive.");
    }
    this.file = file;
    this.maxSteps = maxSteps;
    this.measured = List.copyOf(measured);
  }

  @Override
  public void onStep(Step step) {
    steps++;
    wallNs += step.wallNs();
    flops += step.flops();
    Category[] cats = Category.values();
    long[] row = new long[3 + cats.length];
    row[0] = step.number();
    row[1] = step.wallNs();
    row[2] = step.flops();
    for (Category c : cats) {
      row[3 + c.ordinal()] = step.breakdown().ns(c);
      total[c.ordinal()] += step.breakdown().ns(c);
    }
    if (rows.size() < maxSteps) {
      rows.add(row);
    }
    memory(step);
    frames.add(step); // every step: its estimates; a detailed one's frames too
    gpu.onStep(step);
    if (!step.detailed()) {
      return;
    }
    detailedSteps++;
    for (Span s : step.spans()) {
      if (!s.activityKind().isOp()) {
        continue;
      }
      String key = s.activityKind().key() + "\u0000" + s.name();
      long[] agg = ops.get(key);
      if (agg == null) {
        if (ops.size() >= MAX_OP_NAMES) {
          opNamesOmitted++;
          continue;
        }
        agg = new long[3];
        ops.put(key, agg);
      }
      agg[0]++;
      agg[1] += s.durationNs();
      agg[2] += s.flops();
    }
    // The latest sampled step: past the first ones, it shows the steady state rather than warm-up.
    if (step.spans().size() + step.external().size() <= MAX_TIMELINE_SPANS) {
      timeline = step;
    }
  }

  private void memory(Step step) {
    for (MemorySite h : step.memory().aliveByHolder()) {
      long[] agg = holders.get(h.site());
      if (agg == null) {
        if (holders.size() >= MAX_HOLDERS) {
          holdersOmitted++;
          continue;
        }
        agg = new long[5];
        holders.put(h.site(), agg);
      }
      agg[0]++;
      agg[1] += h.bytes();
      agg[2] = Math.max(agg[2], h.bytes());
      agg[3] = h.bytes();
      agg[4] = step.number();
    }
    if (step.memory().isEmpty() || memorySteps++ % memoryStride != 0) {
      return;
    }
    if (memoryRows.size() >= maxSteps) {
      int kept = 0;
      for (int i = 0; i < memoryRows.size(); i += 2) {
        memoryRows.set(kept++, memoryRows.get(i));
      }
      memoryRows.subList(kept, memoryRows.size()).clear();
      memoryStride *= 2;
      if ((memorySteps - 1) % memoryStride != 0) {
        return;
      }
    }
    long[] row = new long[1 + SERIES.length];
    Arrays.fill(row, Long.MIN_VALUE);
    row[0] = step.number();
    for (Map.Entry<MemorySeries, Long> e : step.memory().values().entrySet()) {
      row[1 + e.getKey().ordinal()] = e.getValue();
      memorySeen.add(e.getKey());
    }
    memoryRows.add(row);
  }

  @Override
  public void flush(RunStats stats) {
    try {
      AtomicFiles.writeAtomically(file, render(stats));
    } catch (IOException | UncheckedIOException e) {
      if (writeErrors++ == 0) {
        System.err.println("mltrace: cannot write " + file + ": " + e.getMessage());
      }
    }
  }

  String render(RunStats stats) {
    String data = data(stats).replace("</", "<\\/");
    return template().replace(DATA_MARKER, data);
  }

  /**
   * The template, read from the jar once. Plain ASCII (non-ASCII characters written as JavaScript escapes): a Latin-1
   * string, which the replace and the UTF-8 write of every flush copy byte by byte; a single "…" made it a UTF-16
   * string, and the render at a short job's exit took twice as long (issue 22).
   */
  private static volatile String template;

  private static String template() {
    String t = template;
    if (t == null) {
      template = t = readTemplate();
    }
    return t;
  }

  private static String readTemplate() {
    try (InputStream in = HtmlReportWriter.class.getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("resource " + TEMPLATE + " missing from the agent jar"));
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String data(RunStats stats) {
    StringBuilder out = new StringBuilder(4096 + rows.size() * 120);
    out.append("{\"generated\": ");
    string(out, Instant.now().toString());
    out.append(", \"categories\": [");
    Category[] cats = Category.values();
    for (int i = 0; i < cats.length; i++) {
      string(out.append(i == 0 ? "" : ", "), cats[i].key());
    }
    out.append("], \"measured\": [");
    for (int i = 0; i < measured.size(); i++) {
      string(out.append(i == 0 ? "" : ", "), measured.get(i).key());
    }
    out.append("], \"totals\": {\"steps\": ").append(steps).append(", \"detailed_steps\": ").append(detailedSteps)
        .append(", \"wall_ns\": ").append(wallNs).append(", \"flops\": ").append(flops).append(", \"breakdown_ns\": ");
    longs(out, total, 0, total.length);
    out.append("}, \"estimates\": {\"estimated_ns\": ").append(frames.estimatedNs())
        .append(", \"check_steps\": ").append(frames.checkSteps()).append(", \"check_error\": ")
        .append(frames.checkSteps() > 0 ? String.format(java.util.Locale.ROOT, "%.4f", frames.checkError()) : "0")
        .append("}, \"dropped_records\": ").append(stats.droppedRecords())
        .append(", \"op_names_omitted\": ").append(opNamesOmitted)
        .append(", \"steps_shown\": ").append(rows.size()).append(", \"steps\": [");
    // Each row rendered once: the report is written every report interval, its rows (up to maxSteps) only grow.
    for (int i = renderedRowCount; i < rows.size(); i++) {
      long[] r = rows.get(i);
      renderedRows.append(i == 0 ? "" : ", ").append("[").append(r[0]).append(", ").append(r[1]).append(", ")
          .append(r[2]).append(", ");
      longs(renderedRows, r, 3, r.length);
      renderedRows.append(']');
    }
    renderedRowCount = rows.size();
    out.append(renderedRows);
    out.append("], \"ops\": [");
    List<Map.Entry<String, long[]>> opList = new ArrayList<>(ops.entrySet());
    opList.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1]).reversed());
    for (int i = 0; i < opList.size(); i++) {
      String[] kindName = opList.get(i).getKey().split("\u0000", 2);
      long[] a = opList.get(i).getValue();
      out.append(i == 0 ? "{" : ", {").append("\"kind\": ");
      string(out, kindName[0]).append(", \"name\": ");
      string(out, kindName[1]).append(", \"count\": ").append(a[0]).append(", \"ns\": ").append(a[1])
          .append(", \"flops\": ").append(a[2]).append('}');
    }
    out.append("], \"frame_samples\": ").append(frames.frameSamples()).append(", \"frames\": [");
    int f = 0;
    for (Map.Entry<String, Integer> e : frames.topFrames(TOP_FRAMES).entrySet()) {
      out.append(f++ == 0 ? "{" : ", {").append("\"frame\": ");
      string(out, e.getKey()).append(", \"samples\": ").append(e.getValue()).append('}');
    }
    out.append("], \"timeline\": ");
    timeline(out);
    out.append(", \"gpu_summary\": ");
    if (gpu.any()) {
      gpu.appendTotals(out.append('{')).append('}');
    } else {
      out.append("null");
    }
    out.append(", \"memory\": ");
    memoryJson(out, stats.leaks());
    return out.append('}').toString();
  }

  /**
   * {@code null} when no step measured memory; else the series seen (key, level or flow, bytes or count), a row
   * per step ({@code [step, value or null per series]}) and the leak suspects.
   */
  private void memoryJson(StringBuilder out, List<Leak> leaks) {
    if (memorySeen.isEmpty()) {
      out.append("null");
      return;
    }
    out.append("{\"every\": ").append(memoryStride).append(", \"series\": [");
    int n = 0;
    for (MemorySeries m : memorySeen) {
      out.append(n++ == 0 ? "{" : ", {").append("\"key\": \"").append(m.key()).append("\", \"level\": ")
          .append(m.isLevel()).append(", \"bytes\": ").append(m.isBytes()).append('}');
    }
    out.append("], \"rows\": [");
    for (int i = 0; i < memoryRows.size(); i++) {
      long[] r = memoryRows.get(i);
      out.append(i == 0 ? "[" : ", [").append(r[0]);
      for (MemorySeries m : memorySeen) {
        long v = r[1 + m.ordinal()];
        out.append(", ");
        if (v == Long.MIN_VALUE) {
          out.append("null");
        } else {
          out.append(v);
        }
      }
      out.append(']');
    }
    out.append("], \"leaks\": [");
    for (int i = 0; i < leaks.size(); i++) {
      Leak l = leaks.get(i);
      out.append(i == 0 ? "{" : ", {").append("\"series\": \"").append(l.series().key())
          .append("\", \"bytes_per_step\": ").append(Math.round(l.bytesPerStep()))
          .append(", \"from_step\": ").append(l.fromStep()).append(", \"to_step\": ").append(l.toStep())
          .append(", \"points\": ").append(l.points()).append(", \"first_seen_step\": ").append(l.firstSeenStep())
          .append(", \"sites\": [");
      List<MemorySite> sites = l.sites();
      for (int j = 0; j < Math.min(TOP_SITES, sites.size()); j++) {
        MemorySite site = sites.get(j);
        out.append(j == 0 ? "{" : ", {").append("\"site\": ");
        string(out, site.site()).append(", \"bytes\": ").append(site.bytes()).append(", \"count\": ")
            .append(site.count()).append('}');
      }
      out.append("]}");
    }
    out.append("], \"holders\": [");
    List<Map.Entry<String, long[]>> byBytes = new ArrayList<>(holders.entrySet());
    byBytes.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1] / e.getValue()[0])
        .reversed());
    for (int i = 0; i < byBytes.size(); i++) {
      long[] a = byBytes.get(i).getValue();
      out.append(i == 0 ? "{" : ", {").append("\"holder\": ");
      string(out, byBytes.get(i).getKey()).append(", \"steps\": ").append(a[0]).append(", \"mean_bytes\": ")
          .append(a[1] / a[0]).append(", \"max_bytes\": ").append(a[2]).append(", \"last_bytes\": ").append(a[3])
          .append(", \"last_step\": ").append(a[4]).append('}');
    }
    out.append("], \"holders_omitted\": ").append(holdersOmitted).append('}');
  }

  private void timeline(StringBuilder out) {
    if (timeline == null) {
      out.append("null");
      return;
    }
    timeline.accept(new TimelineJson(out));
  }

  /** The timeline of one step: its spans at their depth in the step's tree, then its GPU records. */
  private static final class TimelineJson implements StepVisitor {
    private final StringBuilder out;
    private final StringBuilder gpu = new StringBuilder();
    private long stepStart;
    private int spans;

    TimelineJson(StringBuilder out) {
      this.out = out;
    }

    @Override
    public void step(Step t) {
      stepStart = t.startNs();
      out.append("{\"step\": ").append(t.number()).append(", \"thread\": ");
      string(out, t.threadName()).append(", \"wall_ns\": ").append(t.wallNs()).append(", \"spans\": [");
    }

    @Override
    public void span(Span s, Span parent, int depth) {
      out.append(spans++ == 0 ? "{" : ", {").append("\"name\": ");
      string(out, s.name()).append(", \"kind\": ");
      string(out, s.activityKind().key()).append(", \"category\": ");
      string(out, s.category().key()).append(", \"start\": ").append(s.startNs() - stepStart)
          .append(", \"dur\": ").append(s.durationNs()).append(", \"depth\": ").append(depth)
          .append(", \"flops\": ").append(s.flops()).append('}');
    }

    /** {@code kind} in the exporters' vocabulary; {@code category} (gemm, other_compute, memcpy) picks the colour. */
    @Override
    public void gpu(ExternalActivity a, Span launcher) {
      gpu.append(gpu.length() == 0 ? "{" : ", {").append("\"name\": ");
      string(gpu, a.name()).append(", \"kind\": \"").append(a.kind().key()).append("\", \"category\": \"")
          .append(a.category() == null ? Category.OTHER_COMPUTE.key() : a.category().key())
          .append("\", \"device\": ").append(a.device()).append(", \"stream\": ").append(a.stream())
          .append(", \"start\": ").append(a.startNs() - stepStart).append(", \"dur\": ").append(a.durationNs())
          .append(", \"bytes\": ").append(a.bytes()).append('}');
    }

    @Override
    public void end(Step t) {
      out.append("], \"gpu\": [").append(gpu).append("]}");
    }
  }

  private static void longs(StringBuilder out, long[] v, int from, int to) {
    out.append('[');
    for (int i = from; i < to; i++) {
      out.append(i == from ? "" : ", ").append(v[i]);
    }
    out.append(']');
  }

  static StringBuilder string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"');
  }
}
