package io.mltrace.bootstrap;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The lives of the frameworks' tensors, for memory per step and the leak finder: the tensor hooks call
 * {@link #created} and {@link #closed} (DJL arrays, freed when closed) or {@link #createdCollectable} and
 * {@link #closedCollectable} (ND4J buffers outside workspaces, freed when closed or garbage-collected).
 *
 * <ul>
 *   <li><b>Process-wide levels</b>, always: live bytes and count ({@link MemorySlots#ARRAYS_LIVE_BYTES},
 *       {@link MemorySlots#ARRAYS_LIVE}), two counters read at each step's close. Tensors created before the
 *       agent started are not counted; the level is clamped at 0 should they be closed.</li>
 *   <li><b>Per-step flows</b> of the thread's open step ({@link StepTensors}): bytes created, and the tensors
 *       created in the step still alive at its end, those also per holder where the hook names one (a DJL
 *       {@code NDManager}, labelled by {@link #labelHoldersWith} on the collector's thread; {@link Kind#MEMORY_SITE}
 *       records of the series {@link MemorySlots#STEP_ARRAYS_ALIVE_BYTES}). Tensors created outside steps (a model's
 *       parameters) count in the level only.</li>
 *   <li><b>Creation sites</b>, in steps that capture them (detailed steps, and steps of an on-demand memory
 *       window, {@link #captureSitesUntil}): each tensor's site is taken when it is created; those still alive when
 *       their step closes join a bounded process-wide table of outliving tensors (weak references: no tensor is
 *       kept alive by it). Each capturing step's close writes the snapshot of its thread's outliving tensors that
 *       are still alive, by site ({@link Kind#MEMORY_SITE}); a tensor closed or collected since drops out.</li>
 * </ul>
 *
 * <p>Cost in a counted step: two counter adds, the thread's recorder, one identity hash and a probe of the step's
 * table, and on close one read of a bit filter that says whether the tensor may be an outliving one (only then a
 * lock). Bounds: {@link StepTensors#MAX_SLOTS} per thread and step (twice: the step before's survivors are kept one
 * step more, for their sizes), {@link #OUTLIVING_MAX_SLOTS} outliving tensors,
 * {@link #COLLECTABLE_MAX_SLOTS} collectable ones; what does not fit is counted ({@link #overflowed()}).
 */
public final class TensorLife {
  /** At most half this many outliving tensors are followed. */
  static final int OUTLIVING_MAX_SLOTS = 1 << 13;
  /** At most half this many collectable tensors are counted in the level (more: not counted at all). */
  static final int COLLECTABLE_MAX_SLOTS = 1 << 17;
  /**
   * Tensors counted in their step only ({@link #createdInStep}) are counted from this size up: the hooks leave
   * smaller ones out before any work (DL4J makes about a hundred buffers of tens of bytes a step).
   */
  public static final long STEP_ONLY_MIN_BYTES = 1024;
  /** At most this many sites per snapshot, the largest. */
  static final int MAX_SITES_PER_SNAPSHOT = 16;
  private static final int FILTER_BITS = 1 << 16;
  /** At most this many collected buffers are handled at a step's close (the others at the next creation). */
  private static final int COLLECTED_PER_CLOSE = 64;
  /** Made when the class loads (before any step), so that no step's close pays a lambda's first bootstrap. */
  private static final Comparator<Map.Entry<String, long[]>> LARGEST_FIRST =
      (a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]);

  private static final LongAdder LIVE_BYTES = new LongAdder();
  private static final LongAdder LIVE = new LongAdder();
  /** The process-wide levels are counted (a {@link #created} hook ran). */
  private static volatile boolean active;
  /** Steps keep their tensor flows ({@link #created} or {@link #createdInStep} ran). */
  private static volatile boolean stepFlows;
  /** Steps that open before this {@link System#nanoTime} capture sites whether detailed or not. */
  private static volatile long captureUntil = Long.MIN_VALUE;
  private static volatile boolean sitesInSampledSteps;
  private static volatile HolderLabels holderLabels;
  private static volatile ElementCounts elementCounts;

  /** Guards {@link #OUTLIVING}. */
  private static final Object OUTLIVING_LOCK = new Object();
  private static final TensorTable OUTLIVING = new TensorTable(64, OUTLIVING_MAX_SLOTS);
  /** Bit per key hash: set when a tensor with such a key is outliving; a clear bit lets a close skip the lock. */
  private static volatile long[] outlivingFilter = new long[FILTER_BITS / 64];

  /** Guards {@link #COLLECTABLE}. */
  private static final Object COLLECTABLE_LOCK = new Object();
  private static final TensorTable COLLECTABLE = new TensorTable(256, COLLECTABLE_MAX_SLOTS);
  private static final ReferenceQueue<Object> COLLECTED = new ReferenceQueue<>();

  private TensorLife() {}

  // ---- the hooks ----------------------------------------------------------------------------------------------------

  /** A tensor of {@code bytes} was created; it is freed when {@link #closed}. Any thread; never throws. */
  public static void created(Object tensor, long bytes) {
    created(tensor, bytes, null);
  }

  /**
   * As {@link #created(Object, long)}, with what holds the tensor ({@code holder}: a DJL {@code NDManager}; null:
   * not known): each step's survivors are summed per holder when {@link #labelHoldersWith} named a way to label
   * them.
   */
  public static void created(Object tensor, long bytes, Object holder) {
    if (!active) {
      activate();
    }
    ThreadRecorder tr = Recorder.current();
    if (tr == null) {
      LIVE_BYTES.add(bytes);
      LIVE.increment();
      return;
    }
    tr.countLiveTensors(bytes, 1);
    if (tr.inStep()) {
      tr.tensors().created(tensor, TensorTable.key(tensor), bytes, holder);
    }
  }

  /**
   * Counts a framework tensor's elements from its native handle, more cheaply than the framework's own shape object
   * would (DJL builds its {@code Shape} through a stream: about 0.35 us of the ~0.5 us a tensor's creation hook cost,
   * some 40 times a step, most tensors' shapes never read by the job itself).
   */
  public interface ElementCounts {
    /** The number of elements of {@code tensor}, whose native handle is {@code handle}; -1: not known. Never throws. */
    long elements(Object tensor, long handle);
  }

  /** From now on the tensor hooks count elements with {@code counts} ({@code null}: no longer). */
  public static void countElementsWith(ElementCounts counts) {
    elementCounts = counts;
  }

  /**
   * The number of elements of {@code tensor}, whose native handle is {@code handle} (a {@link Long}; anything else:
   * unknown), by the installed {@link ElementCounts}; -1 when none is installed or it does not know: the hook then
   * reads the framework's shape.
   */
  public static long elements(Object tensor, Object handle) {
    ElementCounts counts = elementCounts;
    return counts == null || !(handle instanceof Long) ? -1 : counts.elements(tensor, (Long) handle);
  }

  /** Names the holder of a step's surviving tensors (the framework's own name for it, where it has one). */
  public interface HolderLabels {
    /**
     * A short label for {@code holder}, read by the collector's thread as it drains the step's records (the holder
     * is kept alive until then, a few milliseconds); null: unknown. Must be safe off the training thread.
     */
    String label(Object holder);
  }

  /**
   * From now on, tensors created with a holder are summed per holder at each step's close ({@code null}: no
   * longer). The framework's hooks install this once they know how to name their holders.
   */
  public static void labelHoldersWith(HolderLabels labels) {
    holderLabels = labels;
  }

  /** A tensor counted by {@link #created} was closed (its memory freed); {@code bytes} as when created. */
  public static void closed(Object tensor, long bytes) {
    ThreadRecorder tr = Recorder.current();
    if (tr != null) {
      tr.countLiveTensors(-bytes, -1);
    } else {
      LIVE_BYTES.add(-bytes);
      LIVE.decrement();
    }
    closedInStep(tensor, tr);
  }

  /**
   * A tensor counted by {@link #created} was closed, and the calling thread's open step or the step before it created
   * it: counts it closed with the bytes its creation counted, as {@link #closed} would, and returns true. False, with
   * nothing counted, when neither knows it (created earlier, on another thread, or not followed): the hook then reads
   * its size and calls {@link #closed}. Most tensors die in the step that made them or right after it (DJL closes a
   * batch's arrays after the step), and reading a tensor's size is a native call (DJL: about 0.3 us, which every
   * tensor paid twice before this, at its creation and at its close).
   */
  public static boolean closedWithKnownSize(Object tensor) {
    ThreadRecorder tr = Recorder.current();
    if (tr == null || !tr.inStep()) {
      return false;
    }
    int key = TensorTable.key(tensor);
    StepTensors step = tr.tensors();
    long bytes = step.closedReturningBytes(tensor, key);
    if (bytes < 0) {
      return false;
    }
    tr.countLiveTensors(-bytes, -1);
    // A survivor of the step before may have joined the outliving tensors (its site was taken); this step's may not.
    if (step.removedFromStepBefore() && mayBeOutliving(key)) {
      synchronized (OUTLIVING_LOCK) {
        OUTLIVING.remove(key, tensor);
      }
    }
    return true;
  }

  /**
   * A tensor of {@code bytes} was created that is freed when closed ({@link #closedCollectable}) or when the garbage
   * collector finds it unreachable (followed through a weak reference).
   */
  public static void createdCollectable(Object tensor, long bytes) {
    int key = TensorTable.key(tensor);
    synchronized (COLLECTABLE_LOCK) {
      expungeLocked();
      if (!COLLECTABLE.add(key, bytes, new Collectable(tensor, key), null, 0)) {
        return; // over the bound: not counted at all, so that its collection cannot be missed either
      }
    }
    created(tensor, bytes);
  }

  /** A tensor that may have been counted by {@link #createdCollectable} was closed. */
  public static void closedCollectable(Object tensor) {
    int key = TensorTable.key(tensor);
    long bytes;
    synchronized (COLLECTABLE_LOCK) {
      bytes = COLLECTABLE.remove(key, tensor);
    }
    if (bytes >= 0) {
      closed(tensor, bytes);
    }
  }

  /**
   * Whether the calling thread has a step open: the step-only hooks' first test ({@link #createdInStep}), so that a
   * tensor created outside steps costs them nothing more.
   */
  public static boolean inStep() {
    ThreadRecorder tr = Recorder.current();
    return tr != null && tr.inStep();
  }

  /**
   * A tensor of {@code bytes} was created, counted in the open step's flows only (created bytes, created in the step
   * and alive at its end, and sites where the step takes them), not in the process-wide level: for tensors whose
   * every end cannot be seen cheaply (ND4J's buffers, freed when closed or when the garbage collector finds them;
   * following each through a weak reference is {@link #createdCollectable}, {@code memory=full}). One identity hash
   * and a probe of the thread's table; no lock, no reference object.
   */
  public static void createdInStep(Object tensor, long bytes) {
    if (!stepFlows) {
      activateSteps();
    }
    ThreadRecorder tr = Recorder.current();
    if (tr != null && tr.inStep()) {
      tr.tensors().created(tensor, TensorTable.key(tensor), bytes, null);
    }
  }

  /**
   * A tensor that may have been counted by {@link #createdInStep} was closed: it leaves its step's survivors (when
   * the step is still open) and the outliving tensors (when its site was taken). {@link #closed} does this too.
   */
  public static void closedInStep(Object tensor) {
    closedInStep(tensor, Recorder.current());
  }

  private static void closedInStep(Object tensor, ThreadRecorder tr) {
    int key = TensorTable.key(tensor);
    if (tr != null && tr.inStep()) {
      tr.tensors().closed(tensor, key);
    }
    if (mayBeOutliving(key)) {
      synchronized (OUTLIVING_LOCK) {
        OUTLIVING.remove(key, tensor);
      }
    }
  }

  /** Steps that open before {@code nanoTime} capture creation sites, detailed or not (an on-demand window). */
  public static void captureSitesUntil(long nanoTime) {
    captureUntil = nanoTime;
  }

  // ---- readings -------------------------------------------------------------------------------------------------

  /**
   * Bytes of the live tensors (created since the agent started and not yet freed): the process-wide count (tensors
   * created or closed while recording was off, collected ones) plus each recording thread's own share
   * ({@link ThreadRecorder#countLiveTensors}), which another thread reads at most a moment late.
   */
  public static long liveBytes() {
    long n = LIVE_BYTES.sum();
    for (ThreadRecorder tr : ThreadRegistry.registered()) {
      n += tr.liveTensorBytes();
    }
    return Math.max(0, n);
  }

  /** Count of the live tensors, as {@link #liveBytes}. */
  public static long live() {
    long n = LIVE.sum();
    for (ThreadRecorder tr : ThreadRegistry.registered()) {
      n += tr.liveTensors();
    }
    return Math.max(0, n);
  }

  /** A thread's recorder is forgotten (the thread ended): its share of the live tensors joins the process-wide one. */
  static void keepLiveShareOf(ThreadRecorder tr) {
    LIVE_BYTES.add(tr.liveTensorBytes());
    LIVE.add(tr.liveTensors());
    tr.countLiveTensors(-tr.liveTensorBytes(), -tr.liveTensors());
  }

  /** Tensors not followed because a bound was reached (steps' tables, outliving, collectable), in all. */
  public static long overflowed() {
    long n;
    synchronized (OUTLIVING_LOCK) {
      n = OUTLIVING.overflowed();
    }
    synchronized (COLLECTABLE_LOCK) {
      n += COLLECTABLE.overflowed();
    }
    for (ThreadRecorder tr : ThreadRegistry.threads()) {
      n += tr.tensors().overflowed();
    }
    return n;
  }

  /** Visible for tests: outliving tensors followed now. */
  static int outliving() {
    synchronized (OUTLIVING_LOCK) {
      return OUTLIVING.size();
    }
  }

  /** Visible for tests and benchmarks: forgets every tensor and reading. */
  public static void reset() {
    synchronized (OUTLIVING_LOCK) {
      OUTLIVING.clear();
      outlivingFilter = new long[FILTER_BITS / 64];
    }
    synchronized (COLLECTABLE_LOCK) {
      COLLECTABLE.clear();
      while (COLLECTED.poll() != null) {
        // drop
      }
    }
    LIVE_BYTES.reset();
    LIVE.reset();
    for (ThreadRecorder tr : ThreadRegistry.threads()) {
      tr.countLiveTensors(-tr.liveTensorBytes(), -tr.liveTensors());
    }
  }

  // ---- the step (the owning thread, from ThreadRecorder) ------------------------------------------------------------

  /** Whether a step sums its survivors per holder: every step, once the hooks installed labels. */
  static boolean splitsByHolder() {
    return holderLabels != null;
  }

  /**
   * The label of a holder whose step survivors were recorded ({@link StepTensors#writeHolders}): called by the
   * collector as it drains the record, off the training thread. Never null, never throws.
   */
  static String holderLabel(Object holder) {
    HolderLabels labels = holderLabels;
    String label = null;
    if (labels != null) {
      try {
        label = labels.label(holder);
      } catch (RuntimeException | LinkageError e) {
        label = null;
      }
    }
    return label == null ? StepTensors.UNLABELLED : label;
  }

  /** Whether a step opening now captures creation sites. */
  static boolean capturesSites(boolean detailed, long now) {
    return detailed && sitesInSampledSteps || now < captureUntil;
  }

  /**
   * Whether sampled steps take creation sites. Off until the leak finder suspects a tensor series: a stack walk per
   * tensor costs microseconds, and in every sampled step it would slow the very steps that are the breakdown's
   * reference (their data fetches and ops), for a leak that is usually not there. On-demand windows take sites
   * regardless ({@link #captureSitesUntil}).
   */
  public static void captureSitesInSampledSteps(boolean on) {
    sitesInSampledSteps = on;
  }

  /**
   * At a step's close, before its memory record: the step's flows, and in a step that captures sites, the snapshot
   * of the thread's outliving tensors by site, then this step's survivors join them.
   */
  static void closeStep(ThreadRecorder tr, long now) {
    if (!stepFlows) {
      return;
    }
    // Collected buffers: a few here (the level at the step's end), the rest when the next one is created (inside a
    // step): after a young collection there can be thousands, and this close runs in the gap that the next step
    // pays for.
    Reference<?> collected = COLLECTED.poll();
    if (collected != null) {
      synchronized (COLLECTABLE_LOCK) {
        collected((Collectable) collected);
        expungeLocked(COLLECTED_PER_CLOSE - 1);
      }
    }
    StepTensors step = tr.tensors();
    tr.setStepMemory(MemorySlots.ARRAYS_CREATED_BYTES, step.createdBytes());
    tr.setStepMemory(MemorySlots.STEP_ARRAYS_ALIVE_BYTES, step.aliveBytes());
    tr.setStepMemory(MemorySlots.STEP_ARRAYS_ALIVE, step.alive());
    if (step.byHolder()) {
      step.writeHolders(tr, now);
    }
    if (step.capturesSites()) {
      writeSnapshot(tr, now);
      follow(step.table(), tr.threadId());
    }
    step.endStep();
  }

  /** The step's survivors that carry a reference (their site was taken) join the outliving tensors. */
  private static void follow(TensorTable survivors, long threadId) {
    if (survivors.size() == 0 || !survivors.hasDetails()) {
      return;
    }
    synchronized (OUTLIVING_LOCK) {
      long[] filter = outlivingFilter;
      for (int i = 0; i < survivors.slots(); i++) {
        int key = survivors.keyAt(i);
        Object ref = survivors.refAt(i);
        Object tensor = ref instanceof Reference ? ((Reference<?>) ref).get() : null;
        if (key != 0 && tensor != null
            && OUTLIVING.add(key, survivors.bytesAt(i), ref, survivors.siteAt(i), threadId)) {
          int bit = filterBit(key);
          filter[bit >>> 6] |= 1L << bit;
        }
      }
      outlivingFilter = filter; // publishes the bits set above to the closing threads
    }
  }

  /**
   * Writes the thread's outliving tensors still alive, by site, largest first ({@link #MAX_SITES_PER_SNAPSHOT});
   * forgets those collected, and rebuilds the filter from what is left.
   */
  private static void writeSnapshot(ThreadRecorder tr, long now) {
    long threadId = tr.threadId();
    Map<String, long[]> bySite = new HashMap<>();
    synchronized (OUTLIVING_LOCK) {
      if (OUTLIVING.size() == 0) {
        return;
      }
      List<Object> gone = new ArrayList<>();
      long[] filter = new long[FILTER_BITS / 64];
      for (int i = 0; i < OUTLIVING.slots(); i++) {
        int key = OUTLIVING.keyAt(i);
        if (key == 0) {
          continue;
        }
        Object ref = OUTLIVING.refAt(i);
        Object tensor = ((Reference<?>) ref).get();
        if (tensor == null) {
          gone.add(ref);
          continue;
        }
        int bit = filterBit(key);
        filter[bit >>> 6] |= 1L << bit;
        if (OUTLIVING.ownerAt(i) == threadId) {
          long[] v = bySite.get(OUTLIVING.siteAt(i));
          if (v == null) {
            v = new long[2];
            bySite.put(OUTLIVING.siteAt(i), v);
          }
          v[0] += OUTLIVING.bytesAt(i);
          v[1]++;
        }
      }
      for (Object ref : gone) {
        OUTLIVING.removeReference(((Followed) ref).key, ref);
      }
      outlivingFilter = filter;
    }
    List<Map.Entry<String, long[]>> sites = new ArrayList<>(bySite.entrySet());
    sites.sort(LARGEST_FIRST);
    for (int i = 0; i < sites.size() && i < MAX_SITES_PER_SNAPSHOT; i++) {
      Map.Entry<String, long[]> e = sites.get(i);
      tr.writeMemorySite(e.getKey(), MemorySlots.ARRAYS_LIVE_BYTES, e.getValue()[0], e.getValue()[1], now);
    }
  }

  // ---- internals --------------------------------------------------------------------------------------------------

  private static boolean mayBeOutliving(int key) {
    int bit = filterBit(key);
    return (outlivingFilter[bit >>> 6] & (1L << bit)) != 0;
  }

  private static int filterBit(int key) {
    return (key * 0x85EB_CA6B) >>> 16;
  }

  private static synchronized void activate() {
    if (!active) {
      MemoryGauges.installAnyThread(MemorySlots.ARRAYS_LIVE_BYTES, TensorLife::liveBytes);
      MemoryGauges.installAnyThread(MemorySlots.ARRAYS_LIVE, TensorLife::live);
      activateSteps();
      active = true;
    }
  }

  private static synchronized void activateSteps() {
    if (!stepFlows) {
      CreationSites.here(); // the stack walker's first use loads and links its classes: not in a step
      stepFlows = true;
    }
  }

  /** Handles the collectable tensors that the garbage collector found unreachable. Holds the lock. */
  private static void expungeLocked() {
    expungeLocked(Integer.MAX_VALUE);
  }

  private static void expungeLocked(int max) {
    Reference<?> r;
    for (int i = 0; i < max && (r = COLLECTED.poll()) != null; i++) {
      collected((Collectable) r);
    }
  }

  private static void collected(Collectable c) {
    long bytes = COLLECTABLE.removeReference(c.key, c);
    if (bytes >= 0) {
      LIVE_BYTES.add(-bytes);
      LIVE.decrement();
    }
  }

  /** The weak reference through which a tensor whose site was taken is followed (its key, to forget it). */
  static final class Followed extends WeakReference<Object> {
    final int key;

    Followed(Object tensor, int key) {
      super(tensor);
      this.key = key;
    }
  }

  /** The weak reference through which a collectable tensor's collection is seen. */
  private static final class Collectable extends WeakReference<Object> {
    final int key;

    Collectable(Object tensor, int key) {
      super(tensor, COLLECTED);
      this.key = key;
    }
  }
}
