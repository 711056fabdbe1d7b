package io.mltrace.jfr;

import io.mltrace.collector.ActivitySource;
import io.mltrace.collector.ExternalActivity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.consumer.EventStream;
import jdk.jfr.consumer.RecordingStream;

/**
 * Streams the JVM's own events from JFR into the timeline.
 *
 * <p>Categories (host timeline): GC pauses and allocation stalls are {@code gc}; safepoints (begin to end) and class
 * loading on the thread are {@code jit_safepoint} (JVM runtime work that stops or delays the thread); parks, monitor
 * waits and sleeps on the thread are {@code idle}. JIT compilations run on compiler threads: they are attached to
 * the steps they overlap but claim no time on the training thread. Execution samples claim no time; they name the
 * top frames of {@code framework} and {@code unattributed} time.
 *
 * <p>The end: the stream delivers about once a second, and a JVM that exits does not wait for that. When the JVM's
 * own JFR shutdown hook stops the recording, the stream reads what was written and ends, and an ended stream has
 * delivered all it ever will ({@link #completeUpToNs()} is then unbounded). Before shutdown, {@link #finish()}
 * gets the events recorded since the last delivery without waiting for the next: through a flush on demand where the
 * agent can make one ({@link #flushWith}), else from a dump of the recording.
 */
public final class JfrSource implements ActivitySource {
  /** Events ending this much before the watermark are read from the dump too (and dropped if already delivered). */
  static final long OVERLAP_NS = 100_000_000L;
  /** The longest {@link #close()} waits for JFR to close the stream (its final flush takes well under a second). */
  static final long CLOSE_BOUND_MILLIS = 3_000;

  /** Made on the stream's own thread (JFR's initialization, 0.2-0.3 s, is not the caller's); null until then. */
  private RecordingStream stream;
  /** Guards {@link #stream} and {@link #closed}: the stream's thread hands the stream over against {@link #close()}. */
  private final Object streamLock = new Object();
  private boolean closed;
  private final AgentClock clock = new AgentClock();
  private final ConcurrentLinkedQueue<ExternalActivity> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final int maxQueued;
  /** Guards {@link #live} and {@link #recent}: the stream thread against {@link #finish()}. */
  private final Object intakeLock = new Object();
  /** False once {@link #finish()} has taken over: the stream's later deliveries are not queued. */
  private boolean live = true;
  /** What the stream delivered near and past the watermark, so that {@link #finish()} does not queue it twice. */
  private final Map<Delivered, Long> recent = new HashMap<>();
  /** Set when {@link #recent} outgrew its bound (the stream stalled): {@link #finish()} could then queue twice. */
  private boolean recentOverflowed;
  private volatile long watermark;
  private volatile long latestHeartbeat;
  /** Set when everything recorded has been delivered: the stream ended, or {@link #finish()} read the rest. */
  private volatile boolean complete;
  /** Below this many free bytes on the repository's disk the stream stops (see {@link #stopWhenDiskLow}); 0: never. */
  private volatile long minFreeBytes;
  private volatile Consumer<String> diskLog = line -> { };
  private boolean stoppedForDisk;

  /** Counted down when the stream's own recording starts running (or the stream failed). */
  private final java.util.concurrent.CountDownLatch recording = new java.util.concurrent.CountDownLatch(1);
  /**
   * The id of the stream's own recording, found when the stream is made; -1 when it could not be told apart (then any
   * recording that starts running after the stream was made opens the gate, as before this was known).
   */
  private volatile long ownRecording = -1;
  private final FlightRecorderListener recordingStarted = new FlightRecorderListener() {
    @Override
    public void recordingStateChanged(Recording r) {
      long own = ownRecording;
      // Another recording (jfr=, jcmd JFR.start, the application's own) starting meanwhile is not the stream's.
      if (r.getState() == RecordingState.RUNNING && (own < 0 || r.getId() == own)) {
        recording.countDown();
        beatOnce();
      }
    }
  };
  /** The stream, for the heartbeat's enabling once it records (set on the stream's thread before it starts). */
  private volatile RecordingStream made;
  private final java.util.concurrent.atomic.AtomicBoolean beating = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile java.util.function.BooleanSupplier flushOnDemand;
  private volatile boolean finishedByFlush;
  private final Object flushMonitor = new Object();
  /**
   * How long a finish waits for the stream to deliver what a flush wrote before it dumps instead. The stream wakes at
   * the flush and reads only the new events (5-30 ms measured); the bound covers a busy machine, and JFR's own
   * periodic flush comes within a second anyway.
   */
  static final long FLUSH_WAIT_MILLIS = 500;

  private JfrSource(int maxQueued) {
    this.maxQueued = maxQueued;
    this.watermark = System.nanoTime();
    this.latestHeartbeat = watermark;
  }

  /**
   * Starts streaming. {@code sampleMillis} is the execution-sampling period (0: no samples); {@code waitMillis} the
   * shortest thread wait (park, monitor, sleep) recorded.
   */
  public static JfrSource start(long sampleMillis, long waitMillis, int maxQueued) {
    return start(sampleMillis, waitMillis, maxQueued, true);
  }

  /**
   * As {@link #start(long, long, int)}; {@code heapAfterGc} false leaves JFR's GC heap summaries off. Returns at
   * once: JFR itself is initialized on the stream's thread ({@code FlightRecorder}'s first use takes 0.2-0.3 s: its
   * event metadata, its instrumentation of the JDK's file and socket classes), so a caller that needs the recording
   * waits for it ({@link #awaitRecording}).
   */
  public static JfrSource start(long sampleMillis, long waitMillis, int maxQueued, boolean heapAfterGc) {
    return start(sampleMillis, waitMillis, maxQueued, heapAfterGc, () -> { }, JfrSource::shutdownBegun);
  }

  /**
   * As {@link #start(long, long, int, boolean)}, with the two seams of the exit race: {@code beforeStart} runs on
   * the stream's thread between making the stream and starting it, and {@code shutdownBegun} says whether the JVM's
   * shutdown has begun (tests replace it to force the race open).
   */
  static JfrSource start(long sampleMillis, long waitMillis, int maxQueued, boolean heapAfterGc, Runnable beforeStart,
      java.util.function.BooleanSupplier shutdownBegun) {
    JfrSource source = new JfrSource(maxQueued);
    // RecordingStream.startAsync() would make a thread that inherits the caller's (premain's) non-daemon status
    // and keep the application's JVM alive at exit: run the stream on a daemon thread of our own instead.
    Thread t = new Thread(() -> {
      try {
        RecordingStream rs = source.configure(sampleMillis, waitMillis, heapAfterGc);
        beforeStart.run();
        synchronized (source.streamLock) {
          if (shutdownBegun.getAsBoolean()) {
            // A job that ended while JFR was starting (a short inference job): the JVM's JFR shutdown hook may
            // already have destroyed JFR's recorder thread, and a recording started after that waits for it forever
            // inside JFR's lock, which then holds every later closer (the agent's own shutdown hook) and the JVM's
            // exit with it. Nothing was recorded: leave the stream unstarted.
            return;
          }
          if (source.closed) {
            rs.close();
            return;
          }
          source.stream = rs;
        }
        rs.start();
      } catch (Throwable ignored) {
        // JFR unavailable or closed under us: the steps go on without JVM events (complete, below).
      } finally {
        source.complete = true; // a stream that ended or failed delivers nothing more
        source.wakeFinish();
        source.recording.countDown();
        FlightRecorder.removeListener(source.recordingStarted);
      }
    }, "mltrace-jfr");
    t.setDaemon(true);
    t.start();
    return source;
  }

  /**
   * Whether the JVM has begun its shutdown: registering a shutdown hook is refused from then on. The probe hook is an
   * empty thread; if shutdown begins between adding and removing it, the JVM merely starts it.
   */
  static boolean shutdownBegun() {
    Thread probe = new Thread(() -> { }, "mltrace-shutdown-probe");
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException shuttingDown) {
      return true;
    } catch (SecurityException cannotTell) {
      return false; // a security manager that forbids hooks: as before this probe
    }
  }

  private RecordingStream configure(long sampleMillis, long waitMillis, boolean heapAfterGc) {
    java.util.Set<Long> before = recordingIds();
    RecordingStream rs = new RecordingStream();
    ownRecording = newStreamRecording(before, recordingIds());
    rs.setMaxAge(Duration.ofSeconds(10));
    rs.enable("jdk.GCPhasePause").withoutThreshold();
    rs.enable("jdk.SafepointBegin").withoutThreshold();
    rs.enable("jdk.SafepointEnd").withoutThreshold();
    rs.enable("jdk.Compilation").withThreshold(Duration.ofMillis(1));
    rs.enable("jdk.ClassLoad").withThreshold(Duration.ofMillis(1));
    rs.enable("jdk.ZAllocationStall").withoutThreshold();
    // Two small events per collection (before and after); the after one is the step's heap_after_gc_bytes.
    if (heapAfterGc) {
      rs.enable("jdk.GCHeapSummary");
    }
    Duration wait = Duration.ofMillis(waitMillis);
    rs.enable("jdk.ThreadPark").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.JavaMonitorEnter").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.JavaMonitorWait").withThreshold(wait).withoutStackTrace();
    rs.enable("jdk.ThreadSleep").withThreshold(wait).withoutStackTrace();
    if (sampleMillis > 0) {
      rs.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(sampleMillis));
      rs.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(sampleMillis));
    }
    new JvmEvents(clock, this::fromStream).handle(rs);
    // The heartbeat's class loads once the recording runs (beatOnce), not here: on JDK 17 an event class loaded
    // before any recording runs is instrumented by a class redefinition when a recording enables it, a 7-12 ms
    // safepoint that also throws away every compilation in flight (C2's 0.2-0.6 s compile of JFR's own ASM among
    // them, done again); loaded while one runs, it is instrumented as it loads.
    made = rs;
    rs.onEvent("mltrace.Heartbeat", this::heartbeat);
    rs.onFlush(this::flushed);
    // At exit the JVM's JFR hook stops the recording; the stream then delivers the rest and ends.
    rs.onClose(() -> {
      complete = true;
      wakeFinish();
    });
    FlightRecorder.addListener(recordingStarted);
    return rs;
  }

  private static java.util.Set<Long> recordingIds() {
    java.util.Set<Long> ids = new java.util.HashSet<>();
    for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
      ids.add(r.getId());
    }
    return ids;
  }

  /**
   * The one recording that appeared while the stream was made ({@code RecordingStream} has no accessor for its own);
   * -1 when none or several did (another thread made one at the same moment): then the gate takes any.
   */
  static long newStreamRecording(java.util.Set<Long> before, java.util.Set<Long> after) {
    long found = -1;
    for (long id : after) {
      if (!before.contains(id)) {
        if (found >= 0) {
          return -1;
        }
        found = id;
      }
    }
    return found;
  }

  /**
   * Waits at most {@code timeoutMillis} until the stream's recording runs (or JFR failed): the stream initializes JFR
   * and starts it on its own thread (0.25-0.35 s, more on a busy machine), and a JVM event before that is never
   * recorded. An attaching agent waits here before it enables the recorder; at launch the agent holds the first
   * steps instead ({@code StepGate}), so that the application starts while JFR does. True when it runs.
   */
  public boolean awaitRecording(long timeoutMillis) {
    try {
      return recording.await(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
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
    return complete ? Long.MAX_VALUE : watermark;
  }

  /** Events lost because the collector did not drain fast enough. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Delivers every event recorded until now without waiting for the stream's next flush (up to a second): flushes
   * now and waits for the stream ({@link #finishByFlush}), or else dumps the recording, which writes out every
   * thread's buffer, and queues the dump's events that the stream has not delivered. Afterwards the source is
   * complete and the stream's deliveries are ignored; call it when the job is done (its main thread returned, or
   * {@code System.exit} or a signal entered {@code Shutdown.exit}), before the JVM runs its shutdown hooks: a dump
   * racing with the JVM's JFR shutdown hook logs JFR errors. Returns false, changing nothing, when the recording can
   * no longer be dumped (the stream then ends on its own).
   */
  public synchronized boolean finish() {
    if (complete) {
      return true;
    }
    RecordingStream rs;
    synchronized (streamLock) {
      rs = stream;
    }
    if (rs == null) {
      return false; // JFR is still starting: nothing recorded yet
    }
    if (finishByFlush()) {
      return true;
    }
    Path file = null;
    try {
      file = Files.createTempFile("mltrace-end", ".jfr");
      rs.dump(file);
      long cut = watermark - OVERLAP_NS;
      List<ExternalActivity> read = new ArrayList<>();
      List<Delivered> keys = new ArrayList<>();
      try (EventStream dump = EventStream.openFile(file)) {
        dump.setStartTime(clock.toInstant(cut)); // skips, unparsed, the events that ended before
        new JvmEvents(clock, (a, rawEnd) -> {
          if (a.endNs() >= cut) {
            read.add(a);
            keys.add(new Delivered(a, rawEnd));
          }
        }).handle(dump);
        dump.start();
      }
      synchronized (intakeLock) {
        if (recentOverflowed) {
          return false;
        }
        live = false;
        for (ExternalActivity a : notDelivered(read, keys, recent, watermark)) {
          offer(a);
        }
        recent.clear();
      }
      complete = true;
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // A temporary file left behind is harmless.
        }
      }
    }
  }

  /**
   * The dump's events the stream has not delivered: not in {@code recent}, and not ending more than twice
   * {@link #OVERLAP_NS} before the stream's {@code watermark} now. Why the second test: the stream goes on while the
   * dump is read (the flush that {@link #finishByFlush} asked for may arrive late), and each of its flushes forgets
   * from {@code recent} what ended that long before its watermark, events the dump read from its earlier cut; queued
   * again, a job's last GC pause counted twice (a CI run of {@code JfrSourceTest}). The stream delivered those: a
   * delivered heartbeat (the watermark) comes after every event that ended before it.
   */
  static List<ExternalActivity> notDelivered(List<ExternalActivity> read, List<Delivered> keys,
      Map<Delivered, Long> recent, long watermark) {
    long delivered = watermark - 2 * OVERLAP_NS;
    List<ExternalActivity> rest = new ArrayList<>();
    for (int i = 0; i < read.size(); i++) {
      if (read.get(i).endNs() >= delivered && !recent.containsKey(keys.get(i))) {
        rest.add(read.get(i));
      }
    }
    return rest;
  }

  /**
   * Where JFR can be flushed on demand ({@link #flushWith}): commits a heartbeat marking now, flushes, and waits until
   * the stream delivered it; everything recorded before it was then delivered as well (the stream dispatches each
   * flush's events in time order, then runs {@link #flushed}). The stream parses only what JFR wrote since its last
   * flush, where a dump is the whole recording parsed again (50-100 ms for a 3-step job's 0.15 MB, more for a long
   * job's up to {@code maxAge}). False, changing nothing, when there is no flush, the heartbeat is not enabled, or the
   * stream did not deliver within {@link #FLUSH_WAIT_MILLIS}: the caller dumps.
   */
  private boolean finishByFlush() {
    java.util.function.BooleanSupplier flush = flushOnDemand;
    if (flush == null || !beating.get()) {
      return false;
    }
    long marker = System.nanoTime();
    try {
      HeartbeatEvent beat = new HeartbeatEvent();
      beat.nanoTime = marker;
      beat.commit();
      if (!flush.getAsBoolean()) {
        return false;
      }
    } catch (Throwable t) {
      return false;
    }
    long deadline = marker + FLUSH_WAIT_MILLIS * 1_000_000L;
    synchronized (flushMonitor) {
      long left;
      while (watermark < marker && !complete && (left = deadline - System.nanoTime()) > 0) {
        try {
          flushMonitor.wait(Math.max(1, left / 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    if (watermark < marker && !complete) {
      return false;
    }
    synchronized (intakeLock) {
      live = false; // what the stream delivers later ended after the job did, as with a dump
      recent.clear();
    }
    complete = true;
    finishedByFlush = true;
    return true;
  }

  /**
   * JFR's flush on demand, used by {@link #finish()} before a dump: true when it flushed and woke the streams. The
   * agent passes one that reaches JFR's internals (JDK 17's public API has no flush); without it every finish dumps.
   */
  public void flushWith(java.util.function.BooleanSupplier flush) {
    this.flushOnDemand = flush;
  }

  /**
   * Flushes now, if a flush was given ({@link #flushWith}): the stream then parses JFR's event metadata (the bulk of
   * its first read: 50-100 ms for a short job) beside the job rather than at its end. True when it flushed.
   */
  public boolean flushNow() {
    java.util.function.BooleanSupplier flush = flushOnDemand;
    try {
      return flush != null && beating.get() && !complete && flush.getAsBoolean();
    } catch (Throwable t) {
      return false;
    }
  }

  /** Whether {@link #finish()} completed through a flush rather than a dump (for the start-up log and tests). */
  public boolean finishedByFlush() {
    return finishedByFlush;
  }

  @Override
  public void close() {
    complete = true;
    RecordingStream rs;
    synchronized (streamLock) {
      closed = true;
      rs = stream;
    }
    // On a thread of its own, waited for at most CLOSE_BOUND_MILLIS: this runs in the agent's shutdown hook, and a
    // recording whose start lost the race with the JVM's JFR shutdown hook (see start) holds JFR's lock for good.
    // Whatever is left behind is a daemon thread; the JVM's exit does not wait for it.
    Thread closer = new Thread(() -> {
      FlightRecorder.removeListener(recordingStarted);
      FlightRecorder.removePeriodicEvent(BEAT);
      if (rs != null) {
        rs.close();
      }
    }, "mltrace-jfr-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(CLOSE_BOUND_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- stream thread ---------------------------------------------------------------------------------------------

  private void flushed() {
    checkDisk();
    clock.recalibrate();
    // Only a delivered heartbeat proves how far the stream has come (the handler itself may run late).
    watermark = latestHeartbeat;
    long forget = watermark - 2 * OVERLAP_NS;
    synchronized (intakeLock) {
      recent.values().removeIf(end -> end < forget);
    }
    wakeFinish();
  }

  /** Wakes a finish waiting for its heartbeat ({@link #finishByFlush}): the stream delivered a flush, or ended. */
  private void wakeFinish() {
    synchronized (flushMonitor) {
      flushMonitor.notifyAll();
    }
  }

  /**
   * Stops this stream when the disk of JFR's repository has less than {@code minFreeBytes} free, checked at each of
   * the stream's flushes (about once a second), with one line to {@code log}. Why: HotSpot aborts the whole JVM when
   * JFR cannot write its repository (a failed {@code guarantee} in its chunk writer, JDK 17 and 25 alike), and the
   * job would not have run JFR without the agent. A disk that fills within a second still wins that race.
   */
  public void stopWhenDiskLow(long minFreeBytes, Consumer<String> log) {
    this.diskLog = log;
    this.minFreeBytes = minFreeBytes;
  }

  private void checkDisk() {
    long min = minFreeBytes;
    if (min <= 0 || stoppedForDisk) {
      return;
    }
    Path repository = Path.of(System.getProperty("jdk.jfr.repository", System.getProperty("java.io.tmpdir")));
    long free;
    try {
      free = Files.getFileStore(repository).getUsableSpace();
    } catch (IOException | RuntimeException e) {
      return; // cannot tell: keep going
    }
    if (free >= min) {
      return;
    }
    stoppedForDisk = true;
    diskLog.accept("mltrace: JVM events stopped: " + free / (1024 * 1024) + " MB free on the disk of JFR's repository "
        + repository + " (under " + min / (1024 * 1024) + " MB); the JVM aborts when JFR cannot write. The steps"
        + " go on without gc/jit_safepoint/idle");
    // Not from this callback, which runs on the stream's own thread.
    Thread stopper = new Thread(this::close, "mltrace-jfr-stop");
    stopper.setDaemon(true);
    stopper.start();
  }

  /**
   * Enables the heartbeat, once, when the stream's recording runs: called by the recording's state listener on the
   * thread that starts it (the stream's, before its loop), outside JFR's lock. Until the first heartbeat is delivered
   * the watermark stays where the source began, as it did while JFR started.
   */
  private void beatOnce() {
    RecordingStream rs = made;
    if (rs == null || !beating.compareAndSet(false, true)) {
      return;
    }
    try {
      FlightRecorder.addPeriodicEvent(HeartbeatEvent.class, BEAT);
      rs.enable(HeartbeatEvent.class).withPeriod(Duration.ofMillis(100));
    } catch (Throwable t) {
      // JFR closed under us: the stream ends and completes without a watermark, as before it started.
    }
  }

  private void heartbeat(jdk.jfr.consumer.RecordedEvent e) {
    latestHeartbeat = Math.max(latestHeartbeat, e.getLong("nanoTime"));
  }

  private static final Runnable BEAT = () -> {
    HeartbeatEvent e = new HeartbeatEvent();
    e.nanoTime = System.nanoTime();
    e.commit();
  };

  private void fromStream(ExternalActivity a, long rawEnd) {
    synchronized (intakeLock) {
      if (!live) {
        return;
      }
      if (recent.size() < maxQueued) {
        recent.put(new Delivered(a, rawEnd), a.endNs());
      } else {
        recentOverflowed = true;
      }
      // Queued under the lock: finish() skips what recent holds and then reports the source complete, and the
      // collector closes the last steps at once; offered after the lock, an event could reach the queue after that
      // (a step's GC pause lost at exit).
      offer(a);
    }
  }

  private void offer(ExternalActivity a) {
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      dropped.incrementAndGet();
      return;
    }
    queue.add(a);
  }

  /** Identifies one JFR event's activity by its raw end instant, whichever stream read it. */
  static final class Delivered {
    private final String name;
    private final String detail;
    private final long threadId;
    private final long rawEnd;

    Delivered(ExternalActivity a, long rawEnd) {
      this.name = a.name();
      this.detail = a.detail();
      this.threadId = a.threadId();
      this.rawEnd = rawEnd;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Delivered && ((Delivered) o).rawEnd == rawEnd && ((Delivered) o).threadId == threadId
          && ((Delivered) o).name.equals(name) && Objects.equals(((Delivered) o).detail, detail);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(rawEnd * 31 + threadId);
    }
  }
}
