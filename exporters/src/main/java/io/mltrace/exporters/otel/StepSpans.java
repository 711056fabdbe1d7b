package io.mltrace.exporters.otel;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.Category;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
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
 * <p>A new kind of activity (JVM event, GPU kernel) is one more case in {@link #kindName} and, if it carries
 * attributes of its own, in {@link #attributes(Span)}.
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
  private static final Map<Category, AttributeKey<Long>> BREAKDOWN = new HashMap<>();

  static {
    for (Category c : Category.values()) {
      BREAKDOWN.put(c, AttributeKey.longKey("ml.breakdown." + c.key() + "_ns"));
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
    for (int i = 0; i < byStart.size(); i++) {
      toEnd.get(i).end(epoch(byStart.get(i).endNs()), TimeUnit.NANOSECONDS);
    }
    root.end(epoch(step.endNs()), TimeUnit.NANOSECONDS);
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
