package io.mltrace.bootstrap;

/**
 * The memory facts of one step, as the bridge records them: series {@code i} travels in slot
 * {@code Slots.DIMS + i} of the step's {@link Kind#STEP_MEMORY} record, and bit {@code i} of its {@code FLOPS}
 * slot says that the series was measured (a job without DL4J has no workspaces: absent, not zero).
 *
 * <p>Two natures of series: a <em>flow</em> is what happened during the step on the step's thread (bytes allocated,
 * arrays created); a <em>level</em> is the state of the process at the step's end (bytes held). The leak finder
 * looks for growth in levels; flows explain where it came from.
 */
public final class MemorySlots {
  /** Flow: heap bytes the step's thread allocated during the step (the JVM's per-thread allocation counter). */
  public static final int HEAP_ALLOCATED_BYTES = 0;
  /**
   * Level: native bytes of the framework's live tensors ({@link TensorLife}: DJL {@code NDArray}s created and not yet
   * closed; ND4J buffers outside workspaces, not yet closed or collected).
   */
  public static final int ARRAYS_LIVE_BYTES = 1;
  /** Level: count of those live tensors. */
  public static final int ARRAYS_LIVE = 2;
  /** Flow: native bytes of the tensors the step's thread created during the step. */
  public static final int ARRAYS_CREATED_BYTES = 3;
  /** Flow: bytes of the tensors the step's thread created during the step that were still alive at its end. */
  public static final int STEP_ARRAYS_ALIVE_BYTES = 4;
  /** Flow: count of those tensors. */
  public static final int STEP_ARRAYS_ALIVE = 5;
  /**
   * Level: off-heap bytes ND4J accounts for ({@code MemoryManager.allocatedMemory}: JavaCPP's
   * {@code Pointer.totalBytes} plus ND4J's own tracker of workspaces, constant and shape buffers). Data buffers that
   * libnd4j allocates outside workspaces are in no counter of ND4J's: see {@link #DETACHED_LIVE_BYTES}.
   */
  public static final int OFFHEAP_BYTES = 6;
  /**
   * Level: the process's resident memory, heap and native together ({@code Pointer.physicalBytes}); sparse (read
   * at most every 10 ms: a {@code /proc} read costs about a microsecond).
   */
  public static final int PHYSICAL_BYTES = 7;
  /** Flow: bytes handed out by ND4J workspaces during the step. */
  public static final int WORKSPACE_ALLOC_BYTES = 8;
  /** Level: bytes ND4J workspaces hold at the step's end. */
  public static final int WORKSPACE_BYTES = 9;
  /** Flow: bytes of ND4J buffers allocated outside any workspace (detached) during the step. */
  public static final int DETACHED_ALLOC_BYTES = 10;
  /**
   * Level: bytes of ND4J buffers allocated outside any workspace and not yet freed ({@link DetachedBuffers}), in the
   * whole process.
   */
  public static final int DETACHED_LIVE_BYTES = 11;
  /** How many series a record carries (at most {@link Slots#MAX_DIMS}). */
  public static final int COUNT = 12;

  /** Slot of a {@link Kind#MEMORY_SITE} record: bytes still alive at the step's end that this site created. */
  public static final int SITE_BYTES = Slots.DIMS;
  /** Slot of a {@link Kind#MEMORY_SITE} record: how many tensors those bytes are. */
  public static final int SITE_COUNT = Slots.DIMS + 1;
  /** Slot of a {@link Kind#MEMORY_SITE} record: the series the tensors count in ({@link #ARRAYS_LIVE_BYTES}...). */
  public static final int SITE_SERIES = Slots.DIMS + 2;

  /** Slot of a {@link Kind#MEMORY_HOLDER} record: the bytes the holder holds. */
  public static final int HOLDER_BYTES = Slots.DIMS;
  /** Slot of a {@link Kind#MEMORY_HOLDER} record: in how many arrays. */
  public static final int HOLDER_COUNT = Slots.DIMS + 1;
  /** Slot of a {@link Kind#MEMORY_HOLDER} record: which holder ({@link ModelMemory#PARAMETERS}...). */
  public static final int HOLDER_ID = Slots.DIMS + 2;

  /** The lower-case name of a series, as output formats write it. */
  public static String name(int series) {
    switch (series) {
      case HEAP_ALLOCATED_BYTES: return "heap_allocated_bytes";
      case ARRAYS_LIVE_BYTES: return "arrays_live_bytes";
      case ARRAYS_LIVE: return "arrays_live";
      case ARRAYS_CREATED_BYTES: return "arrays_created_bytes";
      case STEP_ARRAYS_ALIVE_BYTES: return "step_arrays_alive_bytes";
      case STEP_ARRAYS_ALIVE: return "step_arrays_alive";
      case OFFHEAP_BYTES: return "offheap_bytes";
      case PHYSICAL_BYTES: return "physical_bytes";
      case WORKSPACE_ALLOC_BYTES: return "workspace_alloc_bytes";
      case WORKSPACE_BYTES: return "workspace_bytes";
      case DETACHED_ALLOC_BYTES: return "detached_alloc_bytes";
      case DETACHED_LIVE_BYTES: return "detached_live_bytes";
      default: throw new IllegalArgumentException("no memory series " + series);
    }
  }

  /** True for the series that are levels (state at the step's end), false for flows. */
  public static boolean isLevel(int series) {
    return series == ARRAYS_LIVE_BYTES || series == ARRAYS_LIVE || series == OFFHEAP_BYTES
        || series == PHYSICAL_BYTES || series == WORKSPACE_BYTES || series == DETACHED_LIVE_BYTES;
  }

  private MemorySlots() {}
}
