package io.mltrace.bootstrap;

/**
 * One thread's tensors created in its open step and not yet closed ({@link TensorTable}, keyed by identity hash:
 * no tensor is kept alive), for the step's flows {@link MemorySlots#ARRAYS_CREATED_BYTES} and
 * {@link MemorySlots#STEP_ARRAYS_ALIVE_BYTES}; in a step that captures sites, each with a weak reference and its
 * creation site, so that those alive at the step's end can be followed ({@link TensorLife}).
 *
 * <p>Where the framework says what holds a tensor (a DJL {@code NDManager}), the step's survivors are also summed
 * per holder, for at most {@link #MAX_HOLDERS} holders a step (the rest together), in every step; holders are kept
 * only until the step closes, and labelled by the collector, not here: labelling them at the close, inside the
 * step, cost 6-20 µs a step while that code is still interpreted (the first hundreds of steps).
 *
 * <p>Owned by the thread's {@link ThreadRecorder}: only that thread calls it. A tensor that another thread closes
 * stays counted as alive; one the garbage collector frees during the step too (a collectable ND4J buffer).
 */
final class StepTensors {
  /** At most 32768 tensors alive at once inside one step are followed; more are counted as alive. */
  static final int MAX_SLOTS = 1 << 16;
  /** At most this many stack walks per step: a step that creates more names only its first ones. */
  static final int MAX_SITES_PER_STEP = 2048;
  /**
   * Smaller tensors get no site: they are counted in the levels and flows, but following them would fill the
   * outliving table with what no leak is made of (ND4J's shape descriptors, tens of bytes each, about a hundred per
   * DL4J step, freed only when the collector runs), and their stack walks would cost more than the rest of the
   * step's bookkeeping. A leak of small tensors large enough to matter (64 KiB per step) is still seen in the level.
   */
  static final long MIN_SITE_BYTES = 1024;

  /** Holders told apart per step; the tensors of any further holder are summed under index {@link #MAX_HOLDERS}. */
  static final int MAX_HOLDERS = 8;

  private TensorTable table = new TensorTable(256, MAX_SLOTS);
  /**
   * The step before's survivors, kept one step more for their sizes only: a tensor closed soon after its step (DJL
   * closes a batch's arrays after the step that used them) is then closed without a native call to read its size
   * ({@link TensorLife#closedWithKnownSize}). No flow or level reads it.
   */
  private TensorTable stepBefore = new TensorTable(256, MAX_SLOTS);
  /** Whether the last {@link #closedReturningBytes} found its tensor among {@link #stepBefore}'s. */
  private boolean removedFromStepBefore;
  /** Index 0 unused (tag 0: no holder); 1..MAX_HOLDERS - 1 one holder each; MAX_HOLDERS the others. */
  private final Object[] holders = new Object[MAX_HOLDERS + 1];
  private final long[] holderAliveBytes = new long[MAX_HOLDERS + 1];
  private final long[] holderAlive = new long[MAX_HOLDERS + 1];
  private int holdersSeen;
  private boolean byHolder;
  private long createdBytes;
  private long overflowBytes;
  private long overflowCount;
  private boolean captureSites;
  private int sitesTaken;

  /** {@code byHolder}: the step's survivors are summed per holder (labels are installed). */
  void open(boolean captureSites, boolean byHolder) {
    this.captureSites = captureSites;
    this.byHolder = byHolder;
    createdBytes = 0;
    overflowBytes = 0;
    overflowCount = 0;
    sitesTaken = 0;
    table.clear();
    clearHolders();
  }

  private void clearHolders() {
    for (int i = 1; i <= holdersSeen; i++) {
      holders[i] = null;
      holderAliveBytes[i] = 0;
      holderAlive[i] = 0;
    }
    holderAliveBytes[MAX_HOLDERS] = 0; // the others' sum
    holderAlive[MAX_HOLDERS] = 0;
    holdersSeen = 0;
  }

  boolean byHolder() {
    return byHolder && holdersSeen > 0;
  }

  boolean capturesSites() {
    return captureSites;
  }

  /** A tensor created in the step; {@code holder} what holds it (null: not known). */
  void created(Object tensor, int key, long bytes, Object holder) {
    createdBytes += bytes;
    int h = holder == null || !byHolder ? 0 : holderIndex(holder);
    boolean added;
    long tagged = TensorTable.tagged(bytes, h);
    if (captureSites && bytes >= MIN_SITE_BYTES && sitesTaken < MAX_SITES_PER_STEP) {
      sitesTaken++;
      added = table.add(key, tagged, new TensorLife.Followed(tensor, key), CreationSites.here(), 0);
    } else {
      added = table.add(key, tagged);
    }
    if (!added) {
      overflowBytes += bytes;
      overflowCount++;
    }
    if (h != 0) {
      holderAliveBytes[h] += bytes; // an overflowed tensor stays counted as alive, as in aliveBytes()
      holderAlive[h]++;
    }
  }

  /** The holder's index: the same object as before in this step, else the next free one, else the others'. */
  private int holderIndex(Object holder) {
    for (int i = 1; i <= holdersSeen; i++) {
      if (holders[i] == holder) {
        return i;
      }
    }
    if (holdersSeen < MAX_HOLDERS - 1) {
      holders[++holdersSeen] = holder;
      return holdersSeen;
    }
    return MAX_HOLDERS;
  }

  void closed(Object tensor, int key) {
    closedReturningBytes(tensor, key);
  }

  /**
   * As {@link #closed}; the bytes the tensor was created with, or -1 when neither this step nor the step before
   * created it (or followed it). {@link #removedFromStepBefore} then tells which step did.
   */
  long closedReturningBytes(Object tensor, int key) {
    removedFromStepBefore = false;
    long bytes = table.size() == 0 ? -1 : table.remove(key, tensor);
    if (bytes >= 0) {
      if (holdersSeen > 0) {
        int h = table.removedTag();
        if (h > 0) {
          holderAliveBytes[h] -= bytes;
          holderAlive[h]--;
        }
      }
      return bytes;
    }
    bytes = stepBefore.size() == 0 ? -1 : stepBefore.remove(key, tensor);
    removedFromStepBefore = bytes >= 0;
    return bytes;
  }

  /** True when the last {@link #closedReturningBytes} that found its tensor found it among the step before's. */
  boolean removedFromStepBefore() {
    return removedFromStepBefore;
  }

  /**
   * The step's flows are written: its survivors become the step before's (those of the step before are forgotten),
   * and the table is empty for the next step.
   */
  void endStep() {
    TensorTable emptied = stepBefore;
    emptied.clear();
    stepBefore = table;
    table = emptied;
  }

  /**
   * Writes the step's survivors per holder as {@link Kind#MEMORY_SITE} records of the series
   * {@link MemorySlots#STEP_ARRAYS_ALIVE_BYTES}, each named by its holder, which the collector labels when it drains
   * them ({@link TensorLife#holderLabel}); the holders past the first ones as {@link #OTHER_HOLDERS}.
   */
  void writeHolders(ThreadRecorder tr, long now) {
    for (int h = 1; h <= MAX_HOLDERS; h++) {
      if (holderAlive[h] <= 0 || h > holdersSeen && h != MAX_HOLDERS) {
        continue;
      }
      tr.writeStepSurvivorsOf(h == MAX_HOLDERS ? OTHER_HOLDERS : holders[h], holderAliveBytes[h], holderAlive[h], now);
    }
  }

  static final String OTHER_HOLDERS = "(other holders)";
  static final String UNLABELLED = "(unnamed holder)";

  long createdBytes() {
    return createdBytes;
  }

  long aliveBytes() {
    return table.sizeBytes() + overflowBytes;
  }

  long alive() {
    return table.size() + overflowCount;
  }

  /** The step's tensors still alive, with their references and sites (for the tracker). */
  TensorTable table() {
    return table;
  }

  /** Tensors not followed since the thread began because its table was full. */
  long overflowed() {
    return table.overflowed() + stepBefore.overflowed();
  }

  void abandon() {
    table.clear();
    stepBefore.clear();
    clearHolders();
    createdBytes = 0;
    overflowBytes = 0;
    overflowCount = 0;
  }
}
