package io.mltrace.exporters.otel;

import io.mltrace.collector.RunStats;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends one OpenTelemetry trace per sampled step over OTLP, and one per tree of spans outside steps (bounded:
 * {@link OutsideTrees}).
 *
 * <p>The collector thread only offers the closed {@link Step} to a bounded queue (counted in spans, never
 * waited on); the {@code mltrace-otlp} thread turns steps into spans and exports them in batches. Every span
 * ends up in exactly one counter: exported, dropped because the queue was full, dropped because its export
 * failed, or dropped because it was still queued when the run ended and the exit flush timed out. A drop prints
 * a warning at most once a minute.
 */
public final class OtlpTraceSink implements StepSink {
  static final int MAX_BATCH_SPANS = 512;
  static final long CLOSE_WAIT_MS = 5000;
  static final long BATCH_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(500);
  /** Trees of spans outside steps sent per second at most (each its own trace); the rest are a sample not sent. */
  static final double OUTSIDE_TREES_PER_SECOND = 20;

  /** One tree of spans outside any step, root last, as {@link OutsideTrees} hands it over. */
  private record OutsideTree(List<io.mltrace.collector.Span> spans) {
  }

  private final SpanExporter exporter;
  private final String destination;
  private final int queueSpans;
  private final long exportTimeoutMs;
  /** Steps, and trees of spans outside steps ({@link OutsideTree}). */
  private final BlockingQueue<Object> queue;
  private final OutsideTrees outside;
  private final AtomicLong queuedSpans = new AtomicLong();
  private final SdkTracerProvider provider;
  private final StepSpans mapping;
  private final List<SpanData> converted = new ArrayList<>();
  private final RateLimitedWarning warning;
  private final Thread worker;
  private volatile boolean closing;
  private PrintStream reportAtClose;

  private final AtomicLong exported = new AtomicLong();
  private final AtomicLong droppedQueueFull = new AtomicLong();
  private final AtomicLong droppedExportFailed = new AtomicLong();
  private final AtomicLong droppedAtExit = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  /** Span events (JVM events on a step span) past the SDK's per-span limit, which the SDK drops silently. */
  private final AtomicLong eventsOverLimit = new AtomicLong();
  private volatile long queueHighWater;

  OtlpTraceSink(SpanExporter exporter, String destination, Resource resource, Supplier<String> framework, int queueSpans,
      long exportTimeoutMs, RateLimitedWarning warning) {
    this(exporter, destination, resource, framework, queueSpans, exportTimeoutMs, warning,
        fixed(io.mltrace.collector.WallClock.epochMinusNanoTime()));
  }

  private static LongSupplier fixed(long value) {
    return () -> value;
  }

  OtlpTraceSink(SpanExporter exporter, String destination, Resource resource, Supplier<String> framework, int queueSpans,
      long exportTimeoutMs, RateLimitedWarning warning, LongSupplier epochMinusNanoTime) {
    if (queueSpans <= 0) {
      throw new IllegalArgumentException("queueSpans must be positive.");
    }
    this.exporter = exporter;
    this.destination = destination;
    this.queueSpans = queueSpans;
    this.exportTimeoutMs = exportTimeoutMs;
    this.queue = new ArrayBlockingQueue<>(queueSpans);
    this.outside = new OutsideTrees(OUTSIDE_TREES_PER_SECOND, System::nanoTime);
    this.warning = warning;
    // Always on: mltrace samples steps itself (detailed steps, tail sampling) before they reach here. The SDK's default
    // (parent-based) would drop the steps of a loop started inside an application span the application did not sample.
    ChosenIds ids = new ChosenIds();
    this.provider = SdkTracerProvider.builder().setResource(resource).setSampler(Sampler.alwaysOn())
        .setIdGenerator(ids).addSpanProcessor(new Collecting()).build();
    this.mapping = new StepSpans(provider.get("io.mltrace"), framework, epochMinusNanoTime,
        resource.getAttribute(StepSpans.CLUSTER_APP), ids);
    this.worker = new Thread(this::exportLoop, "mltrace-otlp");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  /** A sink exporting to the settings' traces endpoint; warnings go to {@code err}. */
  public static OtlpTraceSink create(OtlpSettings settings, Supplier<String> framework, PrintStream err) {
    return create(settings, framework, err, fixed(io.mltrace.collector.WallClock.epochMinusNanoTime()));
  }

  /**
   * As {@link #create(OtlpSettings, Supplier, PrintStream)}, with the wall clock spans are stamped with: epoch ns
   * minus {@link System#nanoTime()}, read for every span (a cluster worker's maps its clock onto the driver's).
   */
  public static OtlpTraceSink create(OtlpSettings settings, Supplier<String> framework, PrintStream err,
      LongSupplier epochMinusNanoTime) {
    OtlpTraceSink sink = new OtlpTraceSink(OtlpExporters.spanExporter(settings), settings.tracesEndpoint(),
        OtlpExporters.resource(settings), framework, settings.queueSpans(), settings.timeout().toMillis(),
        new RateLimitedWarning(err, System::nanoTime, RateLimitedWarning.ONE_MINUTE_NS), epochMinusNanoTime);
    sink.reportAtClose = err;
    return sink;
  }

  @Override
  public void onStep(Step step) {
    if (!step.detailed()) {
      return;
    }
    offer(step);
  }

  /**
   * A span outside any step (an inference call and its parts, a cluster job's phases between steps): its tree goes
   * out as a trace of its own once its root closes, at most {@link #OUTSIDE_TREES_PER_SECOND} trees a second.
   */
  @Override
  public void onSpanOutsideStep(io.mltrace.collector.Span span) {
    List<io.mltrace.collector.Span> tree = outside.add(span);
    if (tree != null) {
      offer(new OutsideTree(tree));
    }
  }

  private void offer(Object item) {
    long spans = spanCount(item);
    // Only this thread adds; the worker only subtracts, so the check cannot be overtaken.
    if (closing || queuedSpans.get() + spans > queueSpans || !queue.offer(item)) {
      droppedQueueFull.addAndGet(spans);
      warnDropped("queue full (" + queueSpans + " spans)");
      return;
    }
    accepted.addAndGet(spans);
    long now = queuedSpans.addAndGet(spans);
    if (now > queueHighWater) {
      queueHighWater = now;
    }
  }

  private long spanCount(Object item) {
    return item instanceof Step ? mapping.spanCount((Step) item) : ((OutsideTree) item).spans().size();
  }

  private void exportLoop() {
    long batchStart = 0;
    while (true) {
      try {
        Object item = queue.poll(50, TimeUnit.MILLISECONDS);
        if (item != null) {
          if (converted.isEmpty()) {
            batchStart = System.nanoTime();
          }
          if (item instanceof Step) {
            mapping.emit((Step) item);
          } else {
            mapping.emitTree(((OutsideTree) item).spans());
          }
          queuedSpans.addAndGet(-spanCount(item));
        }
        boolean due = !converted.isEmpty()
            && (converted.size() >= MAX_BATCH_SPANS || System.nanoTime() - batchStart >= BATCH_DELAY_NS
                || (closing && queue.isEmpty()));
        if (due) {
          exportBatch();
        }
        if (closing && queue.isEmpty() && converted.isEmpty()) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        // A conversion bug must not kill the thread: count what was in hand and go on.
        droppedExportFailed.addAndGet(converted.size());
        converted.clear();
      }
    }
  }

  private void exportBatch() {
    List<SpanData> batch = new ArrayList<>(converted);
    converted.clear();
    CompletableResultCode result = exporter.export(batch);
    result.join(exportTimeoutMs + 1000, TimeUnit.MILLISECONDS);
    if (result.isSuccess()) {
      exported.addAndGet(batch.size());
    } else {
      droppedExportFailed.addAndGet(batch.size());
      warnDropped("export to " + destination + " failed");
    }
  }

  private void warnDropped(String why) {
    warning.warn("mltrace: OTLP spans dropped: " + why + "; " + dropped() + " dropped so far"
        + " (this warning repeats at most once a minute)");
  }

  /**
   * Waits for what is queued, at most {@link #CLOSE_WAIT_MS} so that a hung endpoint cannot hold the JVM's exit,
   * then stops; what is left counts as dropped at exit.
   */
  @Override
  public void close() {
    closing = true;
    try {
      worker.join(Math.min(exportTimeoutMs + 2000, CLOSE_WAIT_MS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (worker.isAlive()) {
      worker.interrupt();
      try {
        worker.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long left = 0;
    for (Object item; (item = queue.poll()) != null; ) {
      left += spanCount(item);
    }
    if (!worker.isAlive()) {
      left += converted.size();
      converted.clear();
    }
    droppedAtExit.addAndGet(left);
    exporter.shutdown().join(1, TimeUnit.SECONDS);
    provider.shutdown().join(1, TimeUnit.SECONDS);
    if (reportAtClose != null) {
      reportAtClose.println(report());
    }
  }

  @Override
  public void flush(RunStats stats) {
    // Batches leave on the worker's own schedule; nothing to do at a report interval.
  }

  /** One line for the end of the run. */
  public String report() {
    return "mltrace: OTLP traces to " + destination + ": " + accepted() + " spans queued, " + exported()
        + " exported, " + dropped() + " dropped (queue full " + droppedQueueFull.get() + ", export failed "
        + droppedExportFailed.get() + ", left at exit " + droppedAtExit.get() + "), queue high-water "
        + queueHighWater + " of " + queueSpans + " spans; " + eventsOverLimit.get()
        + " JVM events past the per-span event limit; spans outside steps: " + outside.overRate() + " not sent over "
        + (long) OUTSIDE_TREES_PER_SECOND + " traces/s, " + outside.overflowed() + " whose root never closed";
  }

  /** The export thread, for the agent's own CPU-time metric. */
  public Thread thread() {
    return worker;
  }

  public long exported() {
    return exported.get();
  }

  /** Spans accepted into the queue (the others were dropped as the queue was full). */
  public long accepted() {
    return accepted.get();
  }

  public long dropped() {
    return droppedQueueFull.get() + droppedExportFailed.get() + droppedAtExit.get();
  }

  // Visible for testing
  long droppedQueueFull() {
    return droppedQueueFull.get();
  }

  // Visible for testing
  long droppedExportFailed() {
    return droppedExportFailed.get();
  }

  /** Span events the SDK dropped at its per-span limit (128 by default): a step's JVM events past it. */
  public long eventsOverLimit() {
    return eventsOverLimit.get();
  }

  // Visible for testing
  long queueHighWater() {
    return queueHighWater;
  }

  /** Receives the spans {@link StepSpans} ends, on the worker thread. */
  private final class Collecting implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
      SpanData data = span.toSpanData();
      int over = data.getTotalRecordedEvents() - data.getEvents().size();
      if (over > 0) {
        eventsOverLimit.addAndGet(over);
      }
      converted.add(data);
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }
  }
}
