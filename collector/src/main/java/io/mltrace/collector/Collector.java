package io.mltrace.collector;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.ThreadRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Drains the recording rings on its own daemon thread ({@code mltrace-collector}), rebuilds spans, closes steps and
 * hands them to the sinks.
 *
 * <p>Spans arrive before the step that contains them (a span's record is written when it ends, and a step ends
 * after its spans, on the same thread's ring). They wait in a table keyed by their step's span id until that step's
 * record arrives. The table is bounded: past {@link #maxPendingSpans} spans, the oldest waiting step is discarded
 * and counted.
 */
public final class Collector implements AutoCloseable {
  private static final long THREAD_BITS = ~((1L << 40) - 1);

  private final List<StepSink> sinks;
  private final List<StepSink> earlySinks = new CopyOnWriteArrayList<>();
  private final long drainIntervalNanos;
  private final long reportIntervalNanos;
  private final int maxPendingSpans;
  private final Map<Long, List<Span>> pendingByStep = new HashMap<>();
  /** Memory records waiting for their step record (see {@link #memoryOf}). */
  private final Map<Long, StepMemory> pendingMemory = new HashMap<>();
  private static final int MAX_PENDING_MEMORY = 1024;
  /** Per recording thread, the application's trace its steps join ({@link #loopContext}). */
  private final Map<ThreadRecorder, TraceParent> traceParents = new IdentityHashMap<>();
  /** Each thread's latest holder readings ({@link #holderOf}), bounded like {@link #traceParents}. */
  private final Map<ThreadRecorder, Map<MemorySeries, Long>> latestHolders = new IdentityHashMap<>();
  private static final int MAX_TRACE_PARENTS = 4096;
  private final Drainer drainer = new Drainer();
  private final Object lock = new Object();
  private final List<ActivitySource> sources = new CopyOnWriteArrayList<>();
  private final List<ExternalActivity> polled = new ArrayList<>();
  private final StepAssembler assembler;
  private int pendingSpans;
  private long sinkErrors;
  /** Sinks that threw at least once: each is named on stderr once, at its first failure; the rest are counted. */
  private final Set<StepSink> failedSinks = Collections.newSetFromMap(new IdentityHashMap<>());
  private long stepsDiscarded;
  private long droppedByEndedThreads;
  private long sourceErrors;
  private volatile long closeWaitMillis = 3000;
  private volatile LeakFinder leaks = new LeakFinder(LeakRule.DEFAULT, Collector::printSuspect);
  private volatile boolean running;
  private Thread thread;
  /** Holds the analysis while the job's JIT warm-up runs ({@link #yieldToJit}); null: never. */
  private JitYield jitYield;
  /** Told once, on the collector's thread, how the JIT hold ended and what it held; null: nobody asked. */
  private Consumer<String> jitYieldEnded;
  private final HeldRecords held = new HeldRecords();

  private Collector(List<StepSink> sinks, long drainIntervalNanos, long reportIntervalNanos, int maxPendingSpans) {
    this.sinks = new CopyOnWriteArrayList<>(sinks);
    this.drainIntervalNanos = drainIntervalNanos;
    this.reportIntervalNanos = reportIntervalNanos;
    this.maxPendingSpans = maxPendingSpans;
    this.assembler = new StepAssembler(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(30), 200_000);
  }

  /**
   * Adds a source of JVM or GPU activities, before {@link #start()}. Closed steps then wait (at most 3 s) until the
   * source has delivered what ends before them.
   */
  public void addSource(ActivitySource source) {
    sources.add(source);
  }

  /** A collector that is not yet running: call {@link #start()}, or {@link #drainOnce()} from a test. */
  public static Collector create(List<StepSink> sinks, long drainIntervalMillis, long reportIntervalMillis,
      int maxPendingSpans) {
    if (drainIntervalMillis <= 0) {
      throw new IllegalArgumentException("drainIntervalMillis must be positive.");
    }
    if (maxPendingSpans <= 0) {
      throw new IllegalArgumentException("maxPendingSpans must be positive.");
    }
    return new Collector(sinks, TimeUnit.MILLISECONDS.toNanos(drainIntervalMillis),
        TimeUnit.MILLISECONDS.toNanos(Math.max(0, reportIntervalMillis)), maxPendingSpans);
  }

  /**
   * Adds a sink that receives each step as soon as its record is drained, before JVM and GPU activities join it
   * ({@link Step#external()} is empty and the breakdown comes from the step's own spans). For outputs that must not
   * lag, such as JFR events that a recording stopped at exit would otherwise miss.
   */
  public void addEarlySink(StepSink sink) {
    earlySinks.add(sink);
  }

  /**
   * From the first records on, holds the analysis (records are copied out of the rings and wait) while the JVM's
   * compilers are busy, at most {@code maxHoldMillis} and {@code maxRecords} records: the collector's own hot code is
   * then compiled after the job's, not before it ({@link JitYield}). Before {@link #start()}; not for collectors
   * whose early sinks must see each step at once. Ignored where the JVM does not report its compile time.
   */
  public void yieldToJit(long maxHoldMillis, int maxRecords) {
    synchronized (lock) {
      jitYield = maxHoldMillis <= 0 ? null : JitYield.ofThisJvm(TimeUnit.MILLISECONDS.toNanos(maxHoldMillis),
          maxRecords);
    }
  }

  /** As {@link #yieldToJit(long, int)}, with the hold given (tests: a hold whose compilers are made up). */
  void yieldToJit(JitYield hold) {
    synchronized (lock) {
      jitYield = hold;
    }
  }

  /**
   * The job is ending: the JIT hold, if any, ends now, so that the next drain analyses what it held and hands the
   * steps to the early sinks while the JVM's recordings still run. The exit paths call this before their drain.
   */
  public void endJitYield() {
    synchronized (lock) {
      if (jitYield != null) {
        jitYield.release();
      }
    }
  }

  /**
   * Tells {@code listener}, once, on the collector's thread, how the JIT hold ended and how many records it held (a
   * line such as {@code "bound, 24310 records held"}), so that the start-up log shows when the analysis began. Before
   * {@link #start()}.
   */
  public void onJitYieldEnd(Consumer<String> listener) {
    synchronized (lock) {
      jitYieldEnded = listener;
    }
  }

  private void tellJitYieldEnded() {
    Consumer<String> listener = jitYieldEnded;
    jitYieldEnded = null;
    try {
      listener.accept(jitYield.endedBy() + ", " + held.count() + " records held");
    } catch (Throwable ignored) {
      // A listener's failure ends nothing but its own line.
    }
  }

  /**
   * How the JIT hold ended ({@code quiet}, {@code few}, {@code bound}, {@code cap}, {@code end}, {@code unknown});
   * "" when none ran or it still holds.
   */
  public String jitYieldEndedBy() {
    synchronized (lock) {
      return jitYield == null ? "" : jitYield.endedBy();
    }
  }

  /** How long {@link #close()} waits for the sources to deliver the last steps' activities (default 3 s). */
  public void setCloseWaitMillis(long millis) {
    closeWaitMillis = Math.max(0, millis);
  }

  /**
   * Replaces the leak finder (its rule and what it does with a new suspect), before {@link #start()}. The default
   * uses {@link LeakRule#DEFAULT} and prints one line on stderr per new suspect.
   */
  public void setLeakFinder(LeakFinder finder) {
    leaks = finder;
  }

  /** One line for a series that became a leak suspect. */
  public static void printSuspect(Leak leak) {
    System.err.println("mltrace: memory leak suspect: " + leak);
  }

  /** Starts the daemon thread. */
  public synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "mltrace-collector");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long nextReport = reportIntervalNanos > 0 ? System.nanoTime() + reportIntervalNanos : Long.MAX_VALUE;
    while (running) {
      LockSupport.parkNanos(this, drainIntervalNanos);
      if (Thread.interrupted()) {
        break;
      }
      drainOnce();
      if (System.nanoTime() >= nextReport) {
        flush();
        nextReport = System.nanoTime() + reportIntervalNanos;
      }
    }
  }

  /** Drains every ring and source once and hands the steps that may close to the sinks. Returns records read. */
  public int drainOnce() {
    return drain(false);
  }

  private int drain(boolean force) {
    synchronized (lock) {
      // The watermark is read before draining: whatever a source delivers below it is then already polled.
      long watermark = Long.MAX_VALUE;
      for (ActivitySource source : sources) {
        watermark = Math.min(watermark, safeWatermark(source));
      }
      int n = 0;
      if (jitYield != null) {
        if (force) {
          jitYield.release();
        }
        if (holdsForJit()) {
          for (ThreadRecorder tr : ThreadRegistry.threads()) {
            n += tr.drain(held); // copied only; ended threads are forgotten once the hold is over
          }
          pollSources();
          return n;
        }
        if (jitYieldEnded != null && jitYield.over()) {
          tellJitYieldEnded();
        }
        held.replayInto(drainer); // what the hold kept first, once; empty from then on
      }
      for (ThreadRecorder tr : ThreadRegistry.threads()) {
        boolean ended = !tr.isAlive();
        n += tr.drain(drainer);
        if (ended) {
          droppedByEndedThreads += tr.dropped();
          ThreadRegistry.forget(tr);
        }
      }
      n += pollSources();
      for (Step step : assembler.release(watermark, System.nanoTime(), force)) {
        deliver(step);
      }
      return n;
    }
  }

  /**
   * Whether the JIT hold goes on: the rings' pending records count towards its cap. Any failure ends it (the
   * analysis then simply runs as without it).
   */
  private boolean holdsForJit() {
    if (jitYield.over()) {
      return false;
    }
    try {
      long pending = 0;
      for (ThreadRecorder tr : ThreadRegistry.threads()) {
        pending += tr.pending();
      }
      return jitYield.holds(System.nanoTime(), held.count(), pending);
    } catch (Throwable t) {
      jitYield.release();
      return false;
    }
  }

  /** Hands what the sources delivered to the assembler (while the JIT hold goes on too: their queues stay small). */
  private int pollSources() {
    long gpuMemoryUntil = Long.MIN_VALUE;
    for (ActivitySource source : sources) {
      try {
        gpuMemoryUntil = Math.max(gpuMemoryUntil, source.gpuMemoryMeasuredUntilNs());
        source.drainTo(polled);
      } catch (Throwable t) {
        sourceErrors++;
      }
    }
    assembler.gpuMemoryMeasuredUntil(gpuMemoryUntil);
    int n = polled.size();
    assembler.addActivities(polled);
    polled.clear();
    return n;
  }

  private long safeWatermark(ActivitySource source) {
    try {
      return source.completeUpToNs();
    } catch (Throwable t) {
      sourceErrors++;
      return Long.MAX_VALUE;
    }
  }

  /**
   * Waits (at most {@code timeoutMillis}) until every source has delivered what ends before now, so that the last
   * steps get their activities; then closes every waiting step.
   */
  private void settle(long timeoutMillis) {
    long target = System.nanoTime();
    long deadline = target + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() < deadline) {
      long watermark = Long.MAX_VALUE;
      for (ActivitySource source : sources) {
        watermark = Math.min(watermark, safeWatermark(source));
      }
      if (watermark >= target) {
        break;
      }
      drain(false);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    drain(true);
  }

  /** Asks every sink to write what it has (report interval). */
  public void flush() {
    synchronized (lock) {
      RunStats stats = stats();
      for (StepSink sink : sinks) {
        try {
          sink.flush(stats);
        } catch (Throwable t) {
          sinkFailed(sink, t);
        }
      }
    }
  }

  private void sinkFailed(StepSink sink, Throwable t) {
    sinkErrors++;
    if (failedSinks.add(sink)) {
      String name = sink.getClass().getSimpleName().replaceFirst("\\$\\$Lambda.*", "");
      System.err.println("mltrace: exporter " + name + " failed (" + t + "); the job and"
          + " the other outputs go on, and its errors are counted (exporter_errors)");
    }
  }

  /** The collector's counters now. */
  public RunStats stats() {
    synchronized (lock) {
      long dropped = droppedByEndedThreads;
      for (ThreadRecorder tr : ThreadRegistry.threads()) {
        dropped += tr.dropped();
      }
      return new RunStats(dropped, sinkErrors, stepsDiscarded, assembler.activitiesDropped(),
          assembler.stepsReleasedEarly(), sourceErrors, leaks.suspects(), assembler.gpuAllocationsUntracked());
    }
  }

  /** Stops the thread, drains what is left, flushes and closes every sink. Idempotent. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
      thread = null;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    endJitYield();
    settle(closeWaitMillis);
    for (ActivitySource source : sources) {
      try {
        source.close();
      } catch (Throwable e) {
        sourceErrors++;
      }
    }
    synchronized (lock) {
      drain(true);
      for (List<Span> spans : pendingByStep.values()) {
        for (Span s : spans) {
          emitOutsideStep(s);
        }
      }
      pendingByStep.clear();
      pendingSpans = 0;
      flush();
      for (StepSink sink : earlySinks) {
        try {
          sink.close();
        } catch (Throwable e) {
          sinkFailed(sink, e);
        }
      }
      earlySinks.clear();
      for (StepSink sink : sinks) {
        try {
          sink.close();
        } catch (Throwable e) {
          sinkFailed(sink, e);
        }
      }
      sinks.clear();
    }
  }

  // ---- assembly (collector thread, under lock) -----------------------------------------------------------------

  private final class Drainer implements ThreadRecorder.RecordVisitor {
    @Override
    public void visit(ThreadRecorder source, long[] r, int base, String name) {
      long header = r[base + Slots.HEADER];
      int kind = Slots.kind(header);
      if (kind == Kind.STEP) {
        closeStep(source, r, base);
        return;
      }
      long stepId = r[base + Slots.STEP_ID];
      if (kind == Kind.LOOP_CONTEXT) {
        loopContext(source, TraceParent.fromRecord(r, base));
        return;
      }
      if (kind == Kind.STEP_MEMORY || kind == Kind.MEMORY_SITE) {
        memoryOf(stepId, kind, r, base, name);
        return;
      }
      if (kind == Kind.MEMORY_HOLDER) {
        holderOf(source, stepId, r, base);
        return;
      }
      Span span = SpanRecords.span(r, base, name, source.threadId());
      if (kind == Kind.STEP_OPS && stepId == 0) {
        return; // the op time of a step that was abandoned: no step will account it
      }
      if (stepId == 0) {
        emitOutsideStep(span);
        return;
      }
      pendingByStep.computeIfAbsent(stepId, k -> new ArrayList<>()).add(span);
      if (++pendingSpans > maxPendingSpans) {
        discardOldestPendingStep();
      }
    }
  }

  /**
   * A step's memory records arrive just before its step record, in the same ring: they wait here by step id. The
   * map stays small (a record whose step record was dropped is cleared with the map's bound).
   */
  private void memoryOf(long stepId, int kind, long[] r, int base, String name) {
    if (stepId == 0) {
      return;
    }
    if (pendingMemory.size() > MAX_PENDING_MEMORY) {
      pendingMemory.clear();
    }
    StepMemory m = pendingMemory.computeIfAbsent(stepId, k -> new StepMemory());
    if (kind == Kind.STEP_MEMORY) {
      m.addRecord(r, base);
    } else {
      m.addSiteRecord(name, r, base);
    }
  }

  /**
   * A holder's reading ({@code ModelMemory}): the step it was read in gets it, and so do the thread's later steps
   * until the next reading (holders are read every so many steps).
   */
  private void holderOf(ThreadRecorder source, long stepId, long[] r, int base) {
    if (stepId == 0) {
      return;
    }
    if (pendingMemory.size() > MAX_PENDING_MEMORY) {
      pendingMemory.clear();
    }
    StepMemory m = pendingMemory.computeIfAbsent(stepId, k -> new StepMemory());
    MemorySeries series = m.addHolderRecord(r, base);
    if (latestHolders.size() < MAX_TRACE_PARENTS || latestHolders.containsKey(source)) {
      latestHolders.computeIfAbsent(source, k -> new EnumMap<>(MemorySeries.class))
          .put(series, m.value(series));
    }
  }

  /** The application's trace that a thread's later steps join (null: none), until its next loop starts. */
  private void loopContext(ThreadRecorder source, TraceParent parent) {
    if (parent == null) {
      traceParents.remove(source);
    } else if (traceParents.size() < MAX_TRACE_PARENTS || traceParents.containsKey(source)) {
      traceParents.put(source, parent);
    }
  }

  private void closeStep(ThreadRecorder source, long[] r, int base) {
    long stepSpanId = r[base + Slots.SPAN_ID];
    releaseAbandonedSteps(stepSpanId);
    List<Span> spans = pendingByStep.remove(stepSpanId);
    if (spans == null) {
      spans = Collections.emptyList();
    } else {
      pendingSpans -= spans.size();
    }
    StepAssembler.Draft draft = new StepAssembler.Draft(r[base + Slots.STEP_ID], stepSpanId, source.threadId(),
        source.threadName(), r[base + Slots.START], r[base + Slots.END], r[base + Slots.FLOPS],
        r[base + Slots.STEP_OP_COUNT], r[base + Slots.STEP_DETAILED] != 0, Collections.unmodifiableList(spans),
        System.nanoTime(), JvmFacts.sample());
    draft.attributes = SpanRecords.stepAttributes(r, base);
    draft.openingNs = r[base + Slots.STEP_OPENING_NS];
    draft.traceParent = traceParents.get(source);
    StepMemory memory = pendingMemory.remove(stepSpanId);
    Map<MemorySeries, Long> holders = latestHolders.get(source);
    if (holders != null) {
      if (memory == null) {
        memory = new StepMemory();
      }
      for (Map.Entry<MemorySeries, Long> h : holders.entrySet()) {
        if (!memory.has(h.getKey())) {
          memory.set(h.getKey(), h.getValue());
        }
      }
    }
    if (memory != null) {
      draft.memory = memory;
    }
    try {
      leaks.onRecordedStep(draft.number, draft.threadId, draft.detailed, draft.memory);
    } catch (RuntimeException e) {
      sourceErrors++;
    }
    assembler.add(draft);
    if (!earlySinks.isEmpty()) {
      Step early = assembler.fromRecordsOnly(draft);
      for (StepSink sink : earlySinks) {
        try {
          sink.onStep(early);
        } catch (Throwable t) {
          sinkFailed(sink, t);
        }
      }
    }
  }

  private void deliver(Step step) {
    try {
      leaks.onStep(step);
    } catch (RuntimeException e) {
      sourceErrors++;
    }
    for (StepSink sink : sinks) {
      try {
        sink.onStep(step);
      } catch (Throwable t) {
        sinkFailed(sink, t);
      }
    }
  }

  /** Steps of the same thread opened before this one and never closed (a loop restarted): their spans go out. */
  private void releaseAbandonedSteps(long stepSpanId) {
    long threadBits = stepSpanId & THREAD_BITS;
    Iterator<Map.Entry<Long, List<Span>>> it = pendingByStep.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, List<Span>> e = it.next();
      long id = e.getKey();
      if ((id & THREAD_BITS) == threadBits && id < stepSpanId) {
        it.remove();
        pendingSpans -= e.getValue().size();
        for (Span s : e.getValue()) {
          emitOutsideStep(s);
        }
      }
    }
  }

  private void discardOldestPendingStep() {
    Long oldest = null;
    for (Long id : pendingByStep.keySet()) {
      if (oldest == null || (id & ~THREAD_BITS) < (oldest & ~THREAD_BITS)) {
        oldest = id;
      }
    }
    if (oldest != null) {
      pendingSpans -= pendingByStep.remove(oldest).size();
      stepsDiscarded++;
    }
  }

  private void emitOutsideStep(Span span) {
    if (span.kind() == Kind.STEP_OPS) {
      return; // not a span: a step's op time
    }
    for (StepSink sink : sinks) {
      try {
        sink.onSpanOutsideStep(span);
      } catch (Throwable t) {
        sinkFailed(sink, t);
      }
    }
  }
}
