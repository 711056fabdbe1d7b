package io.mltrace.exporters.jfr;

import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.nio.file.Path;
import java.util.Arrays;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;

/**
 * Commits a {@link StepEvent} per step and a {@link SpanEvent} per span, when a recording enables them; its
 * {@link #memoryEvents()} sink commits a {@link StepMemoryEvent} per complete step. With a file, it also runs its own
 * recording (mltrace events, GC pauses, safepoints) that the JVM writes there at exit.
 */
public final class JfrEventWriter implements StepSink {
  /** Kept so that the recording is reachable until the JVM writes it at exit. */
  private final Recording recording;
  private final StepMemoryEvents memoryEvents = new StepMemoryEvents();
  private long committed;

  private JfrEventWriter(Recording recording) {
    this.recording = recording;
  }

  /**
   * Registers the event types this package commits, now, on the calling thread. Why: JFR instruments an event class
   * loaded before JFR itself was initialized (as it is when JFR starts beside the job) by redefining it at its first
   * use, a safepoint of 5-13 ms each (measured with {@code -Xlog:safepoint}: three {@code RedefineClasses}), which
   * inside a training step would be billed to it as {@code jit_safepoint}. Registered here, the redefinitions come
   * before the first step may open. Idempotent.
   */
  public static void registerEventTypes() {
    EventType.getEventType(StepEvent.class);
    EventType.getEventType(SpanEvent.class);
    EventType.getEventType(StepMemoryEvent.class);
  }

  /** Events only: visible to any recording the user starts (for example with {@code jcmd JFR.start}). */
  public static JfrEventWriter eventsOnly() {
    return new JfrEventWriter(null);
  }

  /** Events, recorded by a recording of our own and written to {@code file} when the JVM exits. */
  public static JfrEventWriter toFile(Path file) throws java.io.IOException {
    java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
    Recording r = new Recording();
    r.setName("mltrace");
    r.enable(StepEvent.class);
    r.enable(SpanEvent.class);
    r.enable(StepMemoryEvent.class);
    r.enable("jdk.GCPhasePause");
    r.enable("jdk.GarbageCollection");
    r.enable("jdk.SafepointBegin");
    r.enable("jdk.SafepointEnd");
    r.setToDisk(true);
    // The JVM's JFR shutdown hook stops every recording and deletes its repository, possibly before our hook runs:
    // let JFR write the file itself at exit. Steps reach this sink within one drain interval of closing.
    r.setDestination(file);
    r.setDumpOnExit(true);
    r.start();
    return new JfrEventWriter(r);
  }

  /**
   * Whether any recording could take these events: none before JFR is initialized. Asked before
   * {@link EventType#getEventType}, which initializes JFR's metadata (150-250 ms, at a short job's exit) in a JVM where
   * nothing else did ({@code jvm_events=off}, no recording of the user's). A recording started later with
   * {@code jcmd JFR.start} initializes JFR, and the steps after it commit.
   */
  static boolean anyRecordingPossible() {
    return FlightRecorder.isInitialized();
  }

  @Override
  public void onStep(Step step) {
    if (!anyRecordingPossible() || !EventType.getEventType(StepEvent.class).isEnabled()) {
      return;
    }
    StepEvent e = new StepEvent();
    if (e.shouldCommit()) {
      e.step = step.number();
      e.startNanoTime = step.startNs();
      e.wall = step.wallNs();
      e.javaThreadId = step.threadId();
      e.flops = step.flops();
      e.ops = step.opCount();
      e.commit();
      committed++;
    }
    if (!EventType.getEventType(SpanEvent.class).isEnabled()) {
      return;
    }
    for (Span s : step.spans()) {
      SpanEvent se = new SpanEvent();
      if (!se.shouldCommit()) {
        return;
      }
      se.step = step.number();
      se.kind = s.activityKind().key();
      se.name = s.name();
      se.startNanoTime = s.startNs();
      se.spanDuration = s.durationNs();
      se.javaThreadId = s.threadId();
      se.spanId = s.spanId();
      se.parentSpanId = s.parentId();
      se.flops = s.flops();
      se.shapes = shapes(s.inputShapes());
      se.commit();
      committed++;
    }
  }

  /**
   * The sink of {@link StepMemoryEvent}s: add it to the collector's sinks of complete steps (not as an early sink),
   * so that each event carries the series derived from JFR and CUPTI records too.
   */
  public StepSink memoryEvents() {
    return memoryEvents;
  }

  private static String shapes(long[][] shapes) {
    if (shapes.length == 0) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (long[] s : shapes) {
      sb.append(sb.length() == 0 ? "" : " ").append(Arrays.toString(s));
    }
    return sb.toString();
  }

  /** Events committed so far. */
  long committed() {
    return committed;
  }

  @Override
  public void close() {
    // Nothing to do: the recording is written by the JVM at exit (see toFile), and a recording must stay open
    // until then.
  }
}
