package io.mltrace.jfr;

import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingStream;

/**
 * Streams the JVM's own events from JFR into the timeline.
 *
 * <p>Categories (host timeline): GC pauses and allocation stalls are {@code gc}; safepoints (begin to end) and class
 * loading on the thread are {@code jit_safepoint} (JVM runtime work that stops or delays the thread); parks, monitor
 * waits and sleeps on the thread are {@code idle}. JIT compilations run on compiler threads: they are attached to
 * the steps they overlap but claim no time on the training thread. Execution samples claim no time; they name the
 * top frames of {@code framework} and {@code unattributed} time.
 */
public final class JfrSource implements ActivitySource {
  private final RecordingStream stream;
  private final AgentClock clock = new AgentClock();
  private final ConcurrentLinkedQueue<ExternalActivity> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final int maxQueued;
  private final Map<Long, Long> safepointStarts = new HashMap<>();
  private volatile long watermark;
  private volatile long latestHeartbeat;
  private volatile boolean closed;

  private JfrSource(RecordingStream stream, int maxQueued) {
    this.stream = stream;
    this.maxQueued = maxQueued;
    this.watermark = System.nanoTime();
    this.latestHeartbeat = watermark;
  }

  /**
   * Starts streaming. {@code sampleMillis} is the execution-sampling period (0: no samples); {@code waitMillis} the
   * shortest thread wait (park, monitor, sleep) recorded.
   */
  public static JfrSource start(long sampleMillis, long waitMillis, int maxQueued) {
    RecordingStream rs = new RecordingStream();
    JfrSource source = new JfrSource(rs, maxQueued);
    rs.setMaxAge(Duration.ofSeconds(10));
    rs.enable("jdk.GCPhasePause").withoutThreshold();
    rs.enable("jdk.SafepointBegin").withoutThreshold();
    rs.enable("jdk.SafepointEnd").withoutThreshold();
    rs.enable("jdk.Compilation").withThreshold(Duration.ofMillis(1));
    rs.enable("jdk.ClassLoad").withThreshold(Duration.ofMillis(1));
    rs.enable("jdk.ZAllocationStall").withoutThreshold();
    Duration wait = Duration.ofMillis(waitMillis);
    rs.enable("jdk.ThreadPark").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.JavaMonitorEnter").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.JavaMonitorWait").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.ThreadSleep").withThreshold(wait).withoutStackTrace();
    if (sampleMillis > 0) {
      rs.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(sampleMillis));
      rs.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(sampleMillis));
    }
    rs.onEvent("jdk.GCPhasePause", e -> source.interval(e, Category.GC, ExternalActivity.ALL_THREADS,
        e.getString("name")));
    rs.onEvent("jdk.ZAllocationStall", e -> source.interval(e, Category.GC, threadId(e.getThread()),
        "allocation stall"));
    rs.onEvent("jdk.SafepointBegin", source::safepointBegin);
    rs.onEvent("jdk.SafepointEnd", source::safepointEnd);
    rs.onEvent("jdk.Compilation", e -> source.interval(e, null, threadId(e.getThread()),
        "compile " + e.getValue("method.type.name") + "." + e.getValue("method.name")));
    rs.onEvent("jdk.ClassLoad", e -> source.interval(e, Category.JIT_SAFEPOINT, threadId(e.getThread()),
        "class load"));
    rs.onEvent("jdk.ThreadPark", e -> source.interval(e, Category.IDLE, threadId(e.getThread()), "park"));
    rs.onEvent("jdk.JavaMonitorEnter", e -> source.interval(e, Category.IDLE, threadId(e.getThread()),
        "monitor enter"));
    rs.onEvent("jdk.JavaMonitorWait", e -> source.interval(e, Category.IDLE, threadId(e.getThread()),
        "monitor wait"));
    rs.onEvent("jdk.ThreadSleep", e -> source.interval(e, Category.IDLE, threadId(e.getThread()), "sleep"));
    rs.onEvent("jdk.ExecutionSample", source::sample);
    rs.onEvent("jdk.NativeMethodSample", source::sample);
    FlightRecorder.addPeriodicEvent(HeartbeatEvent.class, BEAT);
    rs.enable(HeartbeatEvent.class).withPeriod(Duration.ofMillis(100));
    rs.onEvent("mltrace.Heartbeat", source::heartbeat);
    rs.onFlush(source::flushed);
    // RecordingStream.startAsync() would make a thread that inherits the caller's (premain's) non-daemon status
    // and keep the application's JVM alive at exit: run the stream on a daemon thread of our own instead.
    Thread t = new Thread(rs::start, "mltrace-jfr");
    t.setDaemon(true);
    t.start();
    return source;
  }

  @Override
  public String name() {
    return "jfr";
  }

  @Override
  public void drainTo(List<ExternalActivity> out) {
    ExternalActivity a;
    while ((a = queue.poll()) != null) {
      queued.decrementAndGet();
      out.add(a);
    }
  }

  @Override
  public long completeUpToNs() {
    return closed ? Long.MAX_VALUE : watermark;
  }

  /** Events lost because the collector did not drain fast enough. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void close() {
    closed = true;
    FlightRecorder.removePeriodicEvent(BEAT);
    stream.close();
  }

  // ---- stream thread ---------------------------------------------------------------------------------------------

  private void flushed() {
    clock.recalibrate();
    // Only a delivered heartbeat proves how far the stream has come (the handler itself may run late).
    watermark = latestHeartbeat;
  }

  private void heartbeat(RecordedEvent e) {
    latestHeartbeat = Math.max(latestHeartbeat, e.getLong("nanoTime"));
  }

  private static final Runnable BEAT = () -> {
    HeartbeatEvent e = new HeartbeatEvent();
    e.nanoTime = System.nanoTime();
    e.commit();
  };

  private void interval(RecordedEvent e, Category category, long threadId, String name) {
    long start = clock.toNano(e.getStartTime());
    long end = clock.toNano(e.getEndTime());
    offer(new ExternalActivity(ExternalActivity.Origin.JVM, category, name, threadId, start, end, 0, -1, -1, 0,
        null));
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
      offer(new ExternalActivity(ExternalActivity.Origin.JVM, Category.JIT_SAFEPOINT, "safepoint",
          ExternalActivity.ALL_THREADS, start, clock.toNano(e.getEndTime()), 0, -1, -1, 0, null));
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
    offer(new ExternalActivity(ExternalActivity.Origin.JVM, null, ExternalActivity.SAMPLE,
        threadId(e.getThread("sampledThread")), t, t, 0, -1, -1, 0, frame));
  }

  private void offer(ExternalActivity a) {
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      dropped.incrementAndGet();
      return;
    }
    queue.add(a);
  }

  private static long threadId(RecordedThread t) {
    return t == null ? -1 : t.getJavaThreadId();
  }
}
