package io.mltrace.exporters.otel;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.gpu.GpuTimeline;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Maps one {@link Step} to one OpenTelemetry trace: the step span is the root, every recorded span becomes a child
 * of its recorded parent (step → phase → layer → op), attributes under {@code ml.}. Times are converted from the
 * {@link System#nanoTime()} domain to epoch nanoseconds here, in one place.
 *
 * <p>GPU records (kernels, copies, memsets) become child spans of the span that launched them ({@code gpu.*}
 * attributes), and the step span then carries the step's GPU timeline ({@code ml.gpu.*}). JVM events (GC pauses,
 * safepoints, compilations, parks, class loads; not execution samples) become span events on the step span at
 * their start, with their duration in {@code ml.jvm.duration_ns}; the SDK's per-span event limit (128 by default)
 * bounds them, and {@link OtlpTraceSink} counts what it cut.
 */
final class StepSpans {
  static final AttributeKey<Long> STEP_NUMBER = AttributeKey.longKey("ml.step.number");
  static final AttributeKey<String> FRAMEWORK = AttributeKey.stringKey("ml.framework");
  static final AttributeKey<String> THREAD = AttributeKey.stringKey("ml.thread.name");
  static final AttributeKey<Long> STEP_FLOPS = AttributeKey.longKey("ml.step.flops");
  static final AttributeKey<Long> STEP_OPS = AttributeKey.longKey("ml.step.ops");
  static final AttributeKey<String> KIND = AttributeKey.stringKey("ml.kind");
  static final AttributeKey<String> OP_NAME = AttributeKey.stringKey("ml.op.name");
  static final AttributeKey<Long> OP_FLOPS = AttributeKey.longKey("ml.op.flops");
  static final AttributeKey<Long> OP_BYTES = AttributeKey.longKey("ml.op.bytes");
  static final AttributeKey<List<String>> OP_SHAPES = AttributeKey.stringArrayKey("ml.op.input_shapes");
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
  }

  private final Tracer tracer;
  private final Supplier<String> framework;
  private final long epochMinusNanoTime;

  /**
   * @param epochMinusNanoTime epoch nanoseconds minus {@link System#nanoTime()} at one instant
   */
  StepSpans(Tracer tracer, Supplier<String> framework, long epochMinusNanoTime) {
    this.tracer = tracer;
    this.framework = framework;
    this.epochMinusNanoTime = epochMinusNanoTime;
  }

  static long epochMinusNanoTime() {
    java.time.Instant now = java.time.Instant.now();
    long nano = System.nanoTime();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano() - nano;
  }

  static AttributeKey<Long> breakdownKey(Category c) {
    return BREAKDOWN.get(c);
  }

  /** Starts and ends every span of the step; the tracer's span processor receives them. */
  void emit(Step step) {
    AttributesBuilder a = Attributes.builder()
        .put(STEP_NUMBER, step.number())
        .put(FRAMEWORK, framework.get())
        .put(THREAD, step.threadName())
        .put(STEP_FLOPS, step.flops())
        .put(STEP_OPS, step.opCount())
        .put(KIND, "step");
    for (Category c : Category.values()) {
      a.put(BREAKDOWN.get(c), step.breakdown().ns(c));
    }
    io.opentelemetry.api.trace.Span root = tracer.spanBuilder("step")
        .setNoParent()
        .setAllAttributes(a.build())
        .setStartTimestamp(epoch(step.startNs()), TimeUnit.NANOSECONDS)
        .startSpan();
    List<Span> byStart = new ArrayList<>(step.spans());
    // Parents start no later than their children; at equal starts the longer one encloses the shorter.
    byStart.sort(Comparator.comparingLong(Span::startNs).thenComparing(Comparator.comparingLong(Span::endNs)
        .reversed()));
    Map<Long, io.opentelemetry.api.trace.Span> started = new HashMap<>();
    List<io.opentelemetry.api.trace.Span> toEnd = new ArrayList<>(byStart.size());
    for (Span s : byStart) {
      io.opentelemetry.api.trace.Span parent = started.getOrDefault(s.parentId(), root);
      SpanBuilder b = tracer.spanBuilder(s.name())
          .setParent(Context.root().with(parent))
          .setAllAttributes(attributes(s))
          .setStartTimestamp(epoch(s.startNs()), TimeUnit.NANOSECONDS);
      io.opentelemetry.api.trace.Span span = b.startSpan();
      started.put(s.spanId(), span);
      toEnd.add(span);
    }
    boolean gpu = false;
    for (ExternalActivity x : step.external()) {
      if (x.origin() == ExternalActivity.Origin.GPU) {
        gpu = true;
        gpuSpan(x, started.getOrDefault(x.correlatedSpanId(), root));
      } else if (!x.isSample()) {
        root.addEvent(x.name(), jvmAttributes(x), epoch(x.startNs()), TimeUnit.NANOSECONDS);
      }
    }
    if (gpu) {
      GpuTimeline t = GpuTimeline.of(step.startNs(), step.endNs(), step.spans(), step.external());
      for (GpuTimeline.DeviceUse u : GpuTimeline.DeviceUse.values()) {
        root.setAttribute(GPU_USE.get(u), t.deviceNs(u));
      }
      for (GpuTimeline.IdleReason r : GpuTimeline.IdleReason.values()) {
        root.setAttribute(GPU_IDLE.get(r), t.idleNs(r));
      }
      root.setAttribute(GPU_BUSY_RATIO, busyRatio(t, step.wallNs()));
    }
    for (int i = 0; i < byStart.size(); i++) {
      toEnd.get(i).end(epoch(byStart.get(i).endNs()), TimeUnit.NANOSECONDS);
    }
    root.end(epoch(step.endNs()), TimeUnit.NANOSECONDS);
  }

  /** The spans {@link #emit} makes of a step: the step span, its recorded spans and its GPU records. */
  static long spanCount(Step step) {
    long n = 1L + step.spans().size();
    for (ExternalActivity x : step.external()) {
      n += x.origin() == ExternalActivity.Origin.GPU ? 1 : 0;
    }
    return n;
  }

  /** The share of the step's wall time in which the device was doing something (kernel, copy or memset). */
  static double busyRatio(GpuTimeline t, long wallNs) {
    return wallNs <= 0 ? 0 : (double) (wallNs - t.deviceNs(GpuTimeline.DeviceUse.IDLE)) / wallNs;
  }

  private void gpuSpan(ExternalActivity x, io.opentelemetry.api.trace.Span parent) {
    String kind = gpuKind(x);
    AttributesBuilder a = Attributes.builder().put(KIND, kind)
        .put(GPU_DEVICE, (long) x.device())
        .put(GPU_STREAM, (long) x.stream())
        .put(GPU_LAUNCHED_BY, x.correlatedSpanId());
    if (kind.equals("gpu.kernel")) {
      a.put(GPU_KERNEL_NAME, x.name());
    }
    if (x.bytes() > 0) {
      a.put(GPU_BYTES, x.bytes());
    }
    if (x.detail() != null) {
      a.put(GPU_DETAIL, x.detail());
    }
    tracer.spanBuilder(x.name())
        .setParent(Context.root().with(parent))
        .setAllAttributes(a.build())
        .setStartTimestamp(epoch(x.startNs()), TimeUnit.NANOSECONDS)
        .startSpan()
        .end(epoch(x.endNs()), TimeUnit.NANOSECONDS);
  }

  static String gpuKind(ExternalActivity x) {
    if (x.category() == Category.MEMCPY) {
      return "gpu.memcpy";
    }
    return "memset".equals(x.name()) ? "gpu.memset" : "gpu.kernel";
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
    AttributesBuilder a = Attributes.builder().put(KIND, kindName(s.kind()));
    if (Kind.isOp(s.kind())) {
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

  static String kindName(int kind) {
    switch (kind) {
      case Kind.PHASE: return "phase";
      case Kind.DATA: return "data";
      case Kind.LAYER: return "layer";
      case Kind.OP_GEMM: return "op.gemm";
      case Kind.OP_OTHER: return "op.other";
      case Kind.OP_COPY: return "op.copy";
      case Kind.STEP: return "step";
      default: return Kind.name(kind);
    }
  }

  long epoch(long nanoTime) {
    return nanoTime + epochMinusNanoTime;
  }
}
