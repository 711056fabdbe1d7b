package io.mltrace.collector;

import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.ModelMemory;
import java.util.Locale;

/**
 * Every memory series a step can carry: those the bridge records on the training thread ({@link MemorySlots}) and
 * those the collector derives from external activities (the heap after a collection, from JFR; GPU memory, from
 * CUPTI's memory records). One vocabulary: {@link #key()} is the name in {@code summary.json}, the trace's counter
 * tracks, OTLP attributes ({@code ml.memory.<key>}) and metrics.
 */
public enum MemorySeries {
  HEAP_ALLOCATED_BYTES(MemorySlots.HEAP_ALLOCATED_BYTES),
  ARRAYS_LIVE_BYTES(MemorySlots.ARRAYS_LIVE_BYTES),
  ARRAYS_LIVE(MemorySlots.ARRAYS_LIVE),
  ARRAYS_CREATED_BYTES(MemorySlots.ARRAYS_CREATED_BYTES),
  STEP_ARRAYS_ALIVE_BYTES(MemorySlots.STEP_ARRAYS_ALIVE_BYTES),
  STEP_ARRAYS_ALIVE(MemorySlots.STEP_ARRAYS_ALIVE),
  OFFHEAP_BYTES(MemorySlots.OFFHEAP_BYTES),
  PHYSICAL_BYTES(MemorySlots.PHYSICAL_BYTES),
  WORKSPACE_ALLOC_BYTES(MemorySlots.WORKSPACE_ALLOC_BYTES),
  WORKSPACE_BYTES(MemorySlots.WORKSPACE_BYTES),
  DETACHED_ALLOC_BYTES(MemorySlots.DETACHED_ALLOC_BYTES),
  DETACHED_LIVE_BYTES(MemorySlots.DETACHED_LIVE_BYTES),
  /** Level, sparse: heap in use after the last collection that ended in the step; absent in steps without one. */
  HEAP_AFTER_GC_BYTES(-1, true),
  /** Flow: device bytes allocated during the step (CUPTI memory records). */
  GPU_ALLOC_BYTES(-1, false),
  /** Flow: device bytes freed during the step. */
  GPU_FREE_BYTES(-1, false),
  /** Flow: device allocations during the step. */
  GPU_ALLOCS(-1, false),
  /** Flow: device frees during the step. */
  GPU_FREES(-1, false),
  /** Level: device bytes allocated since the agent started and not freed, at the step's end. */
  GPU_LIVE_BYTES(-1, true),
  /** Level: the trained model's parameters ({@code ModelMemory}); read every so many steps, carried in between. */
  PARAMETERS_BYTES(-1, true),
  /** Level: the gradients of the model's trainable parameters, once a backward pass has made them. */
  GRADIENTS_BYTES(-1, true),
  /** Level: the optimizer's (DL4J: the updater's) state, once its first update has made it. */
  OPTIMIZER_STATE_BYTES(-1, true);

  private final int slot;
  private final boolean level;
  private final String key;

  MemorySeries(int slot) {
    this(slot, MemorySlots.isLevel(slot));
  }

  MemorySeries(int slot, boolean level) {
    this.slot = slot;
    this.level = level;
    this.key = name().toLowerCase(Locale.ROOT);
  }

  /** The series' name in every output. */
  public String key() {
    return key;
  }

  /** True for a level (state at the step's end), false for a flow (what happened during the step). */
  public boolean isLevel() {
    return level;
  }

  /** True when the series counts bytes (not tensors or allocations). */
  public boolean isBytes() {
    return key.endsWith("_bytes");
  }

  /**
   * True for the series the leak finder judges: byte levels, but not {@link #PHYSICAL_BYTES}. The resident set
   * also grows, for minutes and steadily, while the JVM first touches the heap it has committed (as fast as the job
   * allocates, until the young generation has been used once) and while the JIT fills its code cache: in a job
   * with no leak it would be a suspect. A leak that shows there shows in a level of its own (the heap after a
   * collection, the live tensors, workspaces, off-heap).
   */
  public boolean isLeakCandidate() {
    return level && isBytes() && this != PHYSICAL_BYTES;
  }

  /** True for the series the bridge records on the training thread; false for those the collector derives. */
  public boolean recordedByBridge() {
    return slot >= 0;
  }

  /** The bridge's slot ({@link MemorySlots}); -1 for a series the collector derives. */
  int slot() {
    return slot;
  }

  /** The series of a {@code ModelMemory} holder. */
  static MemorySeries ofHolder(int holder) {
    switch (holder) {
      case ModelMemory.PARAMETERS: return PARAMETERS_BYTES;
      case ModelMemory.GRADIENTS: return GRADIENTS_BYTES;
      case ModelMemory.OPTIMIZER_STATE: return OPTIMIZER_STATE_BYTES;
      default: throw new IllegalArgumentException("no memory holder " + holder);
    }
  }

  /** The series of a bridge slot. */
  static MemorySeries ofSlot(int slot) {
    for (MemorySeries s : values()) {
      if (s.slot == slot) {
        return s;
      }
    }
    throw new IllegalArgumentException("no memory series in slot " + slot);
  }
}
