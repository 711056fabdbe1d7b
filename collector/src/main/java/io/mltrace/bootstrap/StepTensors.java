package io.mltrace.bootstrap;

/**
 * One thread's tensors created in its open step and not yet closed ({@link TensorTable}, keyed by identity hash:
 * no tensor is kept alive), for the step's flows {@link MemorySlots#ARRAYS_CREATED_BYTES} and
 * {@link MemorySlots#STEP_ARRAYS_ALIVE_BYTES}; in a step that captures sites, each with a weak reference and its
 * creation site, so that those alive at the step's end can be followed ({@link TensorLife}).
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

  private final TensorTable table = new TensorTable(256, MAX_SLOTS);
  private long createdBytes;
  private long overflowBytes;
  private long overflowCount;
  private boolean captureSites;
  private int sitesTaken;

  void open(boolean captureSites) {
    this.captureSites = captureSites;
    createdBytes = 0;
    overflowBytes = 0;
    overflowCount = 0;
    sitesTaken = 0;
    table.clear();
  }

  boolean capturesSites() {
    return captureSites;
  }

  void created(Object tensor, int key, long bytes) {
    createdBytes += bytes;
    boolean added;
    if (captureSites && bytes >= MIN_SITE_BYTES && sitesTaken < MAX_SITES_PER_STEP) {
      sitesTaken++;
      added = table.add(key, bytes, new TensorLife.Followed(tensor, key), CreationSites.here(), 0);
    } else {
      added = table.add(key, bytes);
    }
    if (!added) {
      overflowBytes += bytes;
      overflowCount++;
    }
  }

  void closed(Object tensor, int key) {
    if (table.size() > 0) {
      table.remove(key, tensor);
    }
  }

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
    return table.overflowed();
  }

  void abandon() {
    table.clear();
    createdBytes = 0;
    overflowBytes = 0;
    overflowCount = 0;
  }
}
