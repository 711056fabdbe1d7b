package io.mltrace.jfr;

import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import java.util.HashMap;
import java.util.Map;
import jdk.jfr.consumer.EventStream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;

/**
 * Turns JFR events into {@link ExternalActivity}s, for one event stream: the live recording stream, or the dump
 * that {@link JfrSource#finish()} reads at exit. Each stream pairs its own safepoint begins and ends.
 */
final class JvmEvents {
  /** Receives each converted activity with the raw end instant of the event it came from (epoch nanoseconds). */
  interface Intake {
    void accept(ExternalActivity activity, long rawEndEpochNanos);
  }

  /** The event types handled; an event stream only parses the types it has handlers for. */
  static final String[] TYPES = {"jdk.GCPhasePause", "jdk.ZAllocationStall", "jdk.SafepointBegin",
      "jdk.SafepointEnd", "jdk.Compilation", "jdk.ClassLoad", "jdk.ThreadPark", "jdk.JavaMonitorEnter",
      "jdk.JavaMonitorWait", "jdk.ThreadSleep", "jdk.ExecutionSample", "jdk.NativeMethodSample",
      "jdk.GCHeapSummary"};

  /** The {@code when} of JFR's GC heap summary taken at a collection's end. */
  static final String AFTER_GC = "After GC";

  private final AgentClock clock;
  private final Intake intake;
  private final Map<Long, Long> safepointStarts = new HashMap<>();

  JvmEvents(AgentClock clock, Intake intake) {
    this.clock = clock;
    this.intake = intake;
  }

  /** Registers a handler for every type in {@link #TYPES} on {@code es}. */
  void handle(EventStream es) {
    es.onEvent("jdk.GCPhasePause", e -> interval(e, Category.GC, ExternalActivity.ALL_THREADS, e.getString("name")));
    es.onEvent("jdk.ZAllocationStall", e -> interval(e, Category.GC, threadId(e.getThread()), "allocation stall"));
    es.onEvent("jdk.SafepointBegin", this::safepointBegin);
    es.onEvent("jdk.SafepointEnd", this::safepointEnd);
    es.onEvent("jdk.Compilation", e -> interval(e, null, threadId(e.getThread()),
        "compile " + e.getValue("method.type.name") + "." + e.getValue("method.name")));
    es.onEvent("jdk.ClassLoad", e -> interval(e, Category.JIT_SAFEPOINT, threadId(e.getThread()), "class load"));
    es.onEvent("jdk.ThreadPark", e -> interval(e, Category.IDLE, threadId(e.getThread()), "park"));
    es.onEvent("jdk.JavaMonitorEnter", e -> interval(e, Category.IDLE, threadId(e.getThread()), "monitor enter"));
    es.onEvent("jdk.JavaMonitorWait", e -> interval(e, Category.IDLE, threadId(e.getThread()), "monitor wait"));
    es.onEvent("jdk.ThreadSleep", e -> interval(e, Category.IDLE, threadId(e.getThread()), "sleep"));
    es.onEvent("jdk.ExecutionSample", this::sample);
    es.onEvent("jdk.NativeMethodSample", this::sample);
    es.onEvent("jdk.GCHeapSummary", this::heapSummary);
  }

  /**
   * The heap in use after a collection ("After GC"; the "Before GC" summary of the same collection is skipped),
   * at the instant the summary was taken, which is the collection's end.
   */
  private void heapSummary(RecordedEvent e) {
    if (!AFTER_GC.equals(e.getString("when"))) {
      return;
    }
    intake.accept(ExternalActivity.heapAfterGc(clock.toNano(e.getEndTime()), e.getLong("heapUsed")),
        AgentClock.epochNanos(e.getEndTime()));
  }

  private void interval(RecordedEvent e, Category category, long threadId, String name) {
    long start = clock.toNano(e.getStartTime());
    long end = clock.toNano(e.getEndTime());
    intake.accept(new ExternalActivity(ExternalActivity.Origin.JVM, category, name, threadId, start, end, 0, -1, -1,
        0, null), AgentClock.epochNanos(e.getEndTime()));
  }

  private void safepointBegin(RecordedEvent e) {
    synchronized (safepointStarts) {
      if (safepointStarts.size() < 1024) {
        safepointStarts.put(e.getLong("safepointId"), clock.toNano(e.getStartTime()));
      }
    }
  }

  private void safepointEnd(RecordedEvent e) {
    Long start;
    synchronized (safepointStarts) {
      start = safepointStarts.remove(e.getLong("safepointId"));
    }
    if (start != null) {
      intake.accept(new ExternalActivity(ExternalActivity.Origin.JVM, Category.JIT_SAFEPOINT, "safepoint",
          ExternalActivity.ALL_THREADS, start, clock.toNano(e.getEndTime()), 0, -1, -1, 0, null),
          AgentClock.epochNanos(e.getEndTime()));
    }
  }

  private void sample(RecordedEvent e) {
    RecordedStackTrace st = e.getStackTrace();
    if (st == null || st.getFrames().isEmpty()) {
      return;
    }
    RecordedFrame top = st.getFrames().get(0);
    String frame = top.getMethod().getType().getName() + "." + top.getMethod().getName();
    long t = clock.toNano(e.getStartTime());
    intake.accept(new ExternalActivity(ExternalActivity.Origin.JVM, null, ExternalActivity.SAMPLE,
        threadId(e.getThread("sampledThread")), t, t, 0, -1, -1, 0, frame), AgentClock.epochNanos(e.getEndTime()));
  }

  private static long threadId(RecordedThread t) {
    return t == null ? -1 : t.getJavaThreadId();
  }
}
