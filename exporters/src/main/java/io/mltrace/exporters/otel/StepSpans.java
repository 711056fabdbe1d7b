package io.mltrace.exporters.otel;

import io.mltrace.collector.ActivityKind;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.TraceParent;
import io.mltrace.collector.StepGpu;
import io.mltrace.collector.StepVisitor;
import io.mltrace.collector.GpuTimeline;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Maps one {@link Step} to one OpenTelemetry trace, as a {@link StepVisitor} of the step's model: the step span is
 * the root, every recorded span becomes a child of its parent in the step's {@link io.mltrace.collector.SpanTree}
 * (step → phase → layer → op), attributes under {@code ml.} ({@code ml.kind} in the exporters' one vocabulary,
 * {@link ActivityKind#key()}; {@code ml.dtype} and {@code ml.estimate} as trace.json's {@code dtype} and
 * {@code estimate}). Times are converted from the
 * {@link System#nanoTime()} domain to epoch nanoseconds here, in one place.
 *
 * <p>GPU records (kernels, copies, memsets) become child spans of the span that launched them ({@code gpu.*}
 * attributes), and the step span then carries the step's GPU timeline ({@code ml.gpu.*}, from {@link StepGpu}). JVM events (GC pauses,
 * safepoints, compilations, parks, class loads; not execution samples) become span events on the step span at
 * their start, with their duration in {@code ml.jvm.duration_ns}; the SDK's per-span event limit (128 by default)
 * bounds them, and {@link OtlpTraceSink} counts what it cut.
 *
 * <p>The step span carries each memory series the step measured as {@code ml.memory.<series>} (bytes or counts, as
 * in {@code summary.json}'s per-step {@code memory}); a series the step did not measure is absent, not zero.
 */
final class StepSpans {
  static final AttributeKey<Long> STEP_NUMBER = AttributeKey.longKey("ml.step.number");
  /** The framework's iteration count when the step began (DL4J), as {@code iteration} in summary.json. */
  static final AttributeKey<Long> STEP_ITERATION = AttributeKey.longKey("ml.step.iteration");
  /** On an iteration's own span: whose time it carries. */
  static final AttributeKey<String> ITERATION_TIMED_BY = AttributeKey.stringKey("ml.iteration.timed_by");
  /** A span outside any step: the category its time counts as (a custom span's, a Spark phase's). */
  static final AttributeKey<String> SPAN_CATEGORY = AttributeKey.stringKey("ml.span.category");
  /** The Spark task's partition that ran the step (OpenTelemetry has no convention for it). */
  static final AttributeKey<Long> SPARK_PARTITION = AttributeKey.longKey("spark.partition.id");
  /** The resource attribute that names a cluster job: its workers' steps of one iteration share a trace. */
  static final AttributeKey<String> CLUSTER_APP = AttributeKey.stringKey("spark.app.id");
  static final AttributeKey<String> FRAMEWORK = AttributeKey.stringKey("ml.framework");
  static final AttributeKey<String> THREAD = AttributeKey.stringKey("ml.thread.name");
  static final AttributeKey<Long> STEP_FLOPS = AttributeKey.longKey("ml.step.flops");
  static final AttributeKey<Long> STEP_OPS = AttributeKey.longKey("ml.step.ops");
  static final AttributeKey<String> KIND = AttributeKey.stringKey("ml.kind");
  static final AttributeKey<String> OP_NAME = AttributeKey.stringKey("ml.op.name");
  static final AttributeKey<Long> OP_FLOPS = AttributeKey.longKey("ml.op.flops");
  static final AttributeKey<Long> OP_BYTES = AttributeKey.longKey("ml.op.bytes");
  static final AttributeKey<List<String>> OP_SHAPES = AttributeKey.stringArrayKey("ml.op.input_shapes");
  /** The element type of the span's first input ({@code float32}...), as {@code dtype} in trace.json. */
  static final AttributeKey<String> DTYPE = AttributeKey.stringKey("ml.dtype");
  /** True on a span whose time and FLOPs are an estimate, as {@code estimate} in trace.json. */
  static final AttributeKey<Boolean> ESTIMATE = AttributeKey.booleanKey("ml.estimate");
  static final AttributeKey<String> GPU_KERNEL_NAME = AttributeKey.stringKey("gpu.kernel.name");
  static final AttributeKey<String> GPU_DETAIL = AttributeKey.stringKey("gpu.detail");
  static final AttributeKey<Long> GPU_STREAM = AttributeKey.longKey("gpu.stream");
  static final AttributeKey<Long> GPU_DEVICE = AttributeKey.longKey("gpu.device");
  static final AttributeKey<Long> GPU_BYTES = AttributeKey.longKey("gpu.bytes");
  static final AttributeKey<Long> GPU_LAUNCHED_BY = AttributeKey.longKey("gpu.launched_by");
  static final AttributeKey<Double> GPU_BUSY_RATIO = AttributeKey.doubleKey("ml.gpu.busy_ratio");
  static final AttributeKey<Long> JVM_DURATION = AttributeKey.longKey("ml.jvm.duration_ns");
  static final AttributeKey<String> JVM_CATEGORY = AttributeKey.stringKey("ml.jvm.category");
  static final AttributeKey<Long> JVM_THREAD = AttributeKey.longKey("ml.jvm.thread_id");
  static final AttributeKey<String> JVM_DETAIL = AttributeKey.stringKey("ml.jvm.detail");
  private static final Map<Category, AttributeKey<Long>> BREAKDOWN = new HashMap<>();
  private static final Map<GpuTimeline.DeviceUse, AttributeKey<Long>> GPU_USE = new HashMap<>();
  private static final Map<GpuTimeline.IdleReason, AttributeKey<Long>> GPU_IDLE = new HashMap<>();
  private static final Map<MemorySeries, AttributeKey<Long>> MEMORY = new EnumMap<>(MemorySeries.class);

  static {
    for (Category c : Category.values()) {
      BREAKDOWN.put(c, AttributeKey.longKey("ml.breakdown." + c.key() + "_ns"));
    }
    for (GpuTimeline.DeviceUse u : GpuTimeline.DeviceUse.values()) {
      GPU_USE.put(u, AttributeKey.longKey("ml.gpu." + u.key() + "_ns"));
    }
    for (GpuTimeline.IdleReason r : GpuTimeline.IdleReason.values()) {
      GPU_IDLE.put(r, AttributeKey.longKey("ml.gpu.idle." + r.key() + "_ns"));
    }
    for (MemorySeries m : MemorySeries.values()) {
      MEMORY.put(m, AttributeKey.longKey("ml.memory." + m.key()));
    }
  }

  private final Tracer tracer;
  private final Supplier<String> framework;
  /** Epoch ns minus {@link System#nanoTime()}: this JVM's own, or the cluster driver's clock mapped onto this one. */
  private final LongSupplier epochMinusNanoTime;
  private final ChosenIds chosenIds;
  /** The cluster job this worker belongs to ({@link #CLUSTER_APP}), or null. */
  private final String clusterApp;

  /**
   * @param epochMinusNanoTime epoch nanoseconds minus {@link System#nanoTime()} at one instant
   */
  StepSpans(Tracer tracer, Supplier<String> framework, long epochMinusNanoTime) {
    this(tracer, framework, epochMinusNanoTime, null);
  }

  /**
   * @param clusterApp the cluster job's id ({@code spark.app.id}), or null: a step that carries the framework's
   *     iteration then joins the one trace of that iteration, which every worker of the job derives alike
   */
  StepSpans(Tracer tracer, Supplier<String> framework, long epochMinusNanoTime, String clusterApp) {
    this(tracer, framework, () -> epochMinusNanoTime, clusterApp, null);
  }

  /**
   * @param epochMinusNanoTime read for every span: on a cluster's worker, the driver's wall clock once the offset to
   *     the driver's clock is measured (so that one trace of an iteration holds every worker's spans on one clock)
   * @param chosenIds the tracer's id generator, through which this worker exports the iteration's own span when its
   *     step fitted the split's partition 0 (one worker per iteration); null: the iteration span is never exported
   */
  StepSpans(Tracer tracer, Supplier<String> framework, LongSupplier epochMinusNanoTime, String clusterApp,
      ChosenIds chosenIds) {
    this.chosenIds = chosenIds;
    this.tracer = tracer;
    this.framework = framework;
    this.epochMinusNanoTime = epochMinusNanoTime;
    this.clusterApp = clusterApp == null || clusterApp.isEmpty() ? null : clusterApp;
  }

  /**
   * The parent every worker of cluster job {@code app} gives its step of global iteration {@code iteration}: a trace
   * id and a span id derived from both (name-based UUIDs), so that the workers' steps of one iteration form one trace
   * without talking to each other. The worker whose step fitted partition 0 exports the parent span itself
   * ({@link #exportIterationSpan}).
   */
  static SpanContext iterationParent(String app, long iteration) {
    java.util.UUID trace = java.util.UUID.nameUUIDFromBytes(("mltrace/" + app + "/iteration/" + iteration)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.UUID span = java.util.UUID.nameUUIDFromBytes(("mltrace/" + app + "/iteration-span/" + iteration)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return SpanContext.createFromRemoteParent(
        String.format("%016x%016x", trace.getMostSignificantBits(), trace.getLeastSignificantBits()),
        String.format("%016x", span.getMostSignificantBits() ^ span.getLeastSignificantBits()),
        TraceFlags.getSampled(), TraceState.getDefault());
  }


  static AttributeKey<Long> breakdownKey(Category c) {
    return BREAKDOWN.get(c);
  }

  /** Starts and ends every span of the step; the tracer's span processor receives them. */
  void emit(Step step) {
    step.accept(new Emission());
  }

  /** One step's trace, span by span as the step's model hands them over. */
  private final class Emission implements StepVisitor {
    private io.opentelemetry.api.trace.Span root;
    private long stepPartition = -1;
    private final Map<Span, io.opentelemetry.api.trace.Span> started = new IdentityHashMap<>();
    private final List<Span> toEnd = new ArrayList<>();

    @Override
    public void step(Step step) {
      AttributesBuilder a = Attributes.builder()
          .put(STEP_NUMBER, step.number())
          .put(FRAMEWORK, framework.get())
          .put(THREAD, step.threadName())
          .put(STEP_FLOPS, step.flops())
          .put(STEP_OPS, step.opCount())
          .put(KIND, ActivityKind.STEP.key());
      for (Category c : Category.values()) {
        a.put(BREAKDOWN.get(c), step.breakdown().ns(c));
      }
      for (Map.Entry<MemorySeries, Long> m : step.memory().values().entrySet()) {
        a.put(MEMORY.get(m.getKey()), m.getValue());
      }
      if (step.iteration() >= 0) {
        a.put(STEP_ITERATION, step.iteration());
      }
      if (step.partition() >= 0) {
        a.put(SPARK_PARTITION, step.partition());
        stepPartition = step.partition();
      }
      SpanBuilder builder = tracer.spanBuilder("step");
      TraceParent parent = step.traceParent();
      SpanContext iteration = parent == null && clusterApp != null && step.iteration() >= 0
          ? iterationParent(clusterApp, step.iteration()) : null;
      if (iteration != null && iteration.isValid()) {
        // A cluster job's step of a global iteration: the trace every worker's step of that iteration joins.
        if (exportsIterationSpan(step)) {
          exportIterationSpan(iteration, step);
        }
        builder.setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(iteration)));
      } else if (parent == null) {
        builder.setNoParent();
      } else {
        // The application's span that started the loop: the step joins its trace (a training job started inside a
        // traced request). Remote: it lives in another SDK, the application's or the OpenTelemetry agent's.
        builder.setParent(Context.root().with(io.opentelemetry.api.trace.Span.wrap(SpanContext.createFromRemoteParent(
            parent.traceId(), parent.spanId(), parent.sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(),
            TraceState.getDefault()))));
      }
      root = builder
          .setAllAttributes(a.build())
          .setStartTimestamp(epoch(step.startNs()), TimeUnit.NANOSECONDS)
          .startSpan();
    }

    @Override
    public void span(Span s, Span parent, int depth) {
      // Parents come first: the tree hands spans over in start order.
      io.opentelemetry.api.trace.Span parentSpan = parent == null ? root : started.getOrDefault(parent, root);
      SpanBuilder b = tracer.spanBuilder(s.name())
          .setParent(Context.root().with(parentSpan))
          .setAllAttributes(attributes(s))
          .setStartTimestamp(epoch(s.startNs()), TimeUnit.NANOSECONDS);
      if (s.partition() < 0 && stepPartition >= 0) {
        // A span of the step's task: a span that read its own (a worker's getFinalResult, closing inside the next
        // task's first step) keeps it.
        b.setAttribute(SPARK_PARTITION, stepPartition);
      }
      started.put(s, b.startSpan());
      toEnd.add(s);
    }

    @Override
    public void gpu(ExternalActivity record, Span launcher) {
      gpuSpan(record, launcher == null ? root : started.getOrDefault(launcher, root), stepPartition);
    }

    @Override
    public void jvm(ExternalActivity event) {
      root.addEvent(event.name(), jvmAttributes(event), epoch(event.startNs()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void end(Step step) {
      StepGpu gpu = step.gpu();
      if (gpu != null) {
        GpuTimeline t = gpu.timeline();
        for (GpuTimeline.DeviceUse u : GpuTimeline.DeviceUse.values()) {
          root.setAttribute(GPU_USE.get(u), t.deviceNs(u));
        }
        for (GpuTimeline.IdleReason r : GpuTimeline.IdleReason.values()) {
          root.setAttribute(GPU_IDLE.get(r), t.idleNs(r));
        }
        root.setAttribute(GPU_BUSY_RATIO, gpu.busyRatio(step.wallNs()));
      }
      for (Span s : toEnd) {
        started.get(s).end(epoch(s.endNs()), TimeUnit.NANOSECONDS);
      }
      root.end(epoch(step.endNs()), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Starts and ends the spans of one tree outside any step ({@link OutsideTrees}): its root, the span without a
   * parent, starts a trace of its own; every other span goes under its recorded parent.
   */
  void emitTree(List<Span> tree) {
    List<Span> ordered = new ArrayList<>(tree);
    // Parents first: a parent starts no later than its children and ends no earlier.
    ordered.sort((a, b) -> a.startNs() != b.startNs() ? Long.compare(a.startNs(), b.startNs())
        : Long.compare(b.endNs(), a.endNs()));
    Map<Long, io.opentelemetry.api.trace.Span> started = new HashMap<>();
    io.opentelemetry.api.trace.Span root = null;
    List<io.opentelemetry.api.trace.Span> spans = new ArrayList<>();
    for (Span s : ordered) {
      io.opentelemetry.api.trace.Span parent = started.get(s.parentId());
      SpanBuilder b = tracer.spanBuilder(s.name()).setAllAttributes(attributes(s))
          .setStartTimestamp(epoch(s.startNs()), TimeUnit.NANOSECONDS);
      if (s.parentId() == 0 || (parent == null && root == null)) {
        b.setNoParent();
      } else {
        b.setParent(Context.root().with(parent != null ? parent : root));
      }
      Category c = s.category();
      if (c != null) {
        b.setAttribute(SPAN_CATEGORY, c.key());
      }
      io.opentelemetry.api.trace.Span otelSpan = b.startSpan();
      if (root == null) {
        root = otelSpan;
      }
      started.put(s.spanId(), otelSpan);
      spans.add(otelSpan);
    }
    for (int i = 0; i < ordered.size(); i++) {
      spans.get(i).end(epoch(ordered.get(i).endNs()), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * The iteration's own span, the parent every worker's step of it names, exported by exactly one worker: the one
   * whose step fitted the split's partition 0 (parameter averaging gives each worker one partition of each split).
   * It carries that worker's step time (no worker sees the iteration's whole span across the cluster), and is
   * marked as such.
   */
  private void exportIterationSpan(SpanContext iteration, Step step) {
    chosenIds.choose(iteration.getTraceId(), iteration.getSpanId());
    tracer.spanBuilder("iteration")
        .setNoParent()
        .setAttribute(STEP_ITERATION, step.iteration())
        .setAttribute(ITERATION_TIMED_BY, "the step of partition 0")
        .setStartTimestamp(epoch(step.startNs()), TimeUnit.NANOSECONDS)
        .startSpan()
        .end(epoch(step.endNs()), TimeUnit.NANOSECONDS);
  }

  /**
   * The spans {@link #emit} makes of a step: the step span, its recorded spans, its GPU records, and the iteration's
   * own span where this worker exports it.
   */
  long spanCount(Step step) {
    return 1L + step.spans().size() + (step.gpu() == null ? 0 : step.gpu().records())
        + (exportsIterationSpan(step) ? 1 : 0);
  }

  /** Whether {@link #emit} also exports the step's iteration's own span ({@link #exportIterationSpan}). */
  private boolean exportsIterationSpan(Step step) {
    return chosenIds != null && clusterApp != null && step.traceParent() == null && step.iteration() >= 0
        && step.partition() == 0;
  }

  private void gpuSpan(ExternalActivity x, io.opentelemetry.api.trace.Span parent, long partition) {
    AttributesBuilder a = Attributes.builder().put(KIND, x.kind().key())
        .put(GPU_DEVICE, (long) x.device())
        .put(GPU_STREAM, (long) x.stream())
        .put(GPU_LAUNCHED_BY, x.correlatedSpanId());
    if (x.kind() == ActivityKind.GPU_KERNEL) {
      a.put(GPU_KERNEL_NAME, x.name());
    }
    if (x.bytes() > 0) {
      a.put(GPU_BYTES, x.bytes());
    }
    if (x.detail() != null) {
      a.put(GPU_DETAIL, x.detail());
    }
    if (partition >= 0) {
      a.put(SPARK_PARTITION, partition);
    }
    tracer.spanBuilder(x.name())
        .setParent(Context.root().with(parent))
        .setAllAttributes(a.build())
        .setStartTimestamp(epoch(x.startNs()), TimeUnit.NANOSECONDS)
        .startSpan()
        .end(epoch(x.endNs()), TimeUnit.NANOSECONDS);
  }

  private static Attributes jvmAttributes(ExternalActivity x) {
    AttributesBuilder a = Attributes.builder().put(JVM_DURATION, x.durationNs()).put(JVM_THREAD, x.threadId());
    if (x.category() != null) {
      a.put(JVM_CATEGORY, x.category().key());
    }
    if (x.detail() != null) {
      a.put(JVM_DETAIL, x.detail());
    }
    return a.build();
  }

  private Attributes attributes(Span s) {
    AttributesBuilder a = Attributes.builder().put(KIND, s.activityKind().key());
    // As trace.json: the element type and the estimate flag on any span that has them.
    String dtype = s.dtypeName();
    if (dtype != null) {
      a.put(DTYPE, dtype);
    }
    if (s.estimated()) {
      a.put(ESTIMATE, true);
    }
    if (s.partition() >= 0) {
      a.put(SPARK_PARTITION, s.partition());
    }
    if (s.activityKind().isOp()) {
      a.put(OP_NAME, s.name());
      if (s.flops() > 0) {
        a.put(OP_FLOPS, s.flops());
      }
      if (s.bytes() > 0) {
        a.put(OP_BYTES, s.bytes());
      }
      long[][] shapes = s.inputShapes();
      if (shapes.length > 0) {
        List<String> list = new ArrayList<>(shapes.length);
        for (long[] shape : shapes) {
          list.add(java.util.Arrays.toString(shape));
        }
        a.put(OP_SHAPES, list);
      }
    }
    return a.build();
  }

  long epoch(long nanoTime) {
    return nanoTime + epochMinusNanoTime.getAsLong();
  }
}
