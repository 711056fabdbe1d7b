package io.mltrace.collector;

/**
 * An interval recorded outside the per-thread rings and placed on the agent's clock ({@link System#nanoTime()}):
 * a JVM event read from JFR (GC pause, safepoint, compilation, park) or a GPU record from CUPTI (kernel, copy,
 * memset, or a point: device memory allocated or released).
 *
 * <p>Conversion to the agent's clock happens once, in the {@link ActivitySource} that produces it.
 */
public final class ExternalActivity {
  /** Where an activity comes from: JFR or CUPTI ({@link #kind()} says what it is). */
  public enum Origin { JVM, GPU }

  /**
   * Name of an execution sample: a point in time ({@code start == end}) on one thread, whose {@link #detail()} is
   * the sampled stack's top frame. Samples claim no time; they explain {@code framework} and {@code unattributed}.
   */
  public static final String SAMPLE = "sample";

  /**
   * Name of a heap reading after a collection (JFR's {@code jdk.GCHeapSummary}, "After GC"): a point in time
   * ({@code start == end}, when the collection ended) whose {@link #bytes()} is the heap in use then. It claims no
   * time and is no event of the step: the assembler turns the step's last one into
   * {@link MemorySeries#HEAP_AFTER_GC_BYTES}.
   */
  public static final String HEAP_AFTER_GC = "heap after gc";

  /** Thread id of an activity that stops every Java thread (a GC pause, a safepoint). */
  public static final long ALL_THREADS = 0;

  private final Origin origin;
  private final ActivityKind kind;
  private final Category category;
  private final String name;
  private final long threadId;
  private final long startNs;
  private final long endNs;
  private final long correlatedSpanId;
  private final int device;
  private final int stream;
  private final long bytes;
  private final String detail;
  private final long launchStartNs;
  private final long launchEndNs;
  private final long address;

  /**
   * A JVM event ({@link ActivityKind#JVM}), or a GPU record that is a kernel or, with category
   * {@link Category#MEMCPY}, a copy; a memset needs {@link #gpu}.
   *
   * @param threadId the Java thread it happened on, {@link #ALL_THREADS}, or for GPU records the launching thread
   *     when known (0 otherwise)
   * @param correlatedSpanId the span that launched a GPU record (external correlation), 0 when none
   * @param detail free text (a top frame, a GC cause, a kernel's grid), or null
   */
  public ExternalActivity(Origin origin, Category category, String name, long threadId, long startNs, long endNs,
      long correlatedSpanId, int device, int stream, long bytes, String detail) {
    this(origin, category, name, threadId, startNs, endNs, correlatedSpanId, device, stream, bytes, detail, 0, 0);
  }

  /**
   * A GPU record with the host API call that launched it ({@code cudaLaunchKernel}, {@code cudaMemcpyAsync}...):
   * {@code launchStartNs..launchEndNs} on the agent's clock, both 0 when unknown.
   */
  public ExternalActivity(Origin origin, Category category, String name, long threadId, long startNs, long endNs,
      long correlatedSpanId, int device, int stream, long bytes, String detail, long launchStartNs,
      long launchEndNs) {
    this(origin == Origin.JVM ? ActivityKind.JVM : category == Category.MEMCPY ? ActivityKind.GPU_MEMCPY
        : ActivityKind.GPU_KERNEL, category, name, threadId, startNs, endNs, correlatedSpanId, device, stream, bytes,
        detail, launchStartNs, launchEndNs, 0);
  }

  private ExternalActivity(ActivityKind kind, Category category, String name, long threadId, long startNs,
      long endNs, long correlatedSpanId, int device, int stream, long bytes, String detail, long launchStartNs,
      long launchEndNs, long address) {
    this.kind = kind;
    this.origin = kind.isGpu() || kind.isGpuMemory() ? Origin.GPU : Origin.JVM;
    this.address = address;
    this.category = category;
    this.name = name;
    this.threadId = threadId;
    this.startNs = startNs;
    this.endNs = endNs;
    this.correlatedSpanId = correlatedSpanId;
    this.device = device;
    this.stream = stream;
    this.bytes = bytes;
    this.detail = detail;
    this.launchStartNs = launchStartNs;
    this.launchEndNs = launchEndNs;
  }

  /**
   * A GPU record of the given kind ({@link ActivityKind#isGpu()}), with the host API call that launched it
   * ({@code launchStartNs..launchEndNs}, both 0 when unknown).
   */
  public static ExternalActivity gpu(ActivityKind kind, Category category, String name, long startNs, long endNs,
      long correlatedSpanId, int device, int stream, long bytes, String detail, long launchStartNs,
      long launchEndNs) {
    if (!kind.isGpu()) {
      throw new IllegalArgumentException("kind must be a GPU kind: " + kind);
    }
    return new ExternalActivity(kind, category, name, 0, startNs, endNs, correlatedSpanId, device, stream, bytes,
        detail, launchStartNs, launchEndNs, 0);
  }

  /**
   * Device memory allocated or released ({@link ActivityKind#isGpuMemory()}) at {@code atNs} (agent clock), by the
   * API call of span {@code correlatedSpanId} (0 when unknown); {@code memoryKind} is CUPTI's name for the memory
   * ({@code device}, {@code managed}...), its {@link #detail()}.
   */
  public static ExternalActivity gpuMemory(ActivityKind kind, long address, long bytes, long atNs,
      long correlatedSpanId, int device, int stream, String memoryKind) {
    if (!kind.isGpuMemory()) {
      throw new IllegalArgumentException("kind must be a GPU memory kind: " + kind);
    }
    return new ExternalActivity(kind, null, kind.key(), 0, atNs, atNs, correlatedSpanId, device, stream, bytes,
        memoryKind, 0, 0, address);
  }

  /** The device address of an allocation or release; 0 for every other activity. */
  public long address() {
    return address;
  }

  /** A heap reading after a collection (see {@link #HEAP_AFTER_GC}), at {@code atNs} on the agent's clock. */
  public static ExternalActivity heapAfterGc(long atNs, long heapUsedBytes) {
    return new ExternalActivity(ActivityKind.JVM, null, HEAP_AFTER_GC, ALL_THREADS, atNs, atNs, 0, -1, -1,
        heapUsedBytes, null, 0, 0, 0);
  }

  public Origin origin() {
    return origin;
  }

  /** What the activity is: {@link ActivityKind#JVM}, or a GPU kernel, copy or memset. */
  public ActivityKind kind() {
    return kind;
  }

  /** The category the interval claims in a step's breakdown (host timeline for JVM, device timeline for GPU). */
  public Category category() {
    return category;
  }

  public String name() {
    return name;
  }

  public long threadId() {
    return threadId;
  }

  public long startNs() {
    return startNs;
  }

  public long endNs() {
    return endNs;
  }

  public long durationNs() {
    return endNs - startNs;
  }

  public long correlatedSpanId() {
    return correlatedSpanId;
  }

  public int device() {
    return device;
  }

  public int stream() {
    return stream;
  }

  public long bytes() {
    return bytes;
  }

  public String detail() {
    return detail;
  }

  /** Whether the API call that launched this GPU record is known ({@link #launchStartNs}, {@link #launchEndNs}). */
  public boolean launchKnown() {
    return launchEndNs != 0;
  }

  /** Start of the host API call that launched this GPU record; 0 when unknown. */
  public long launchStartNs() {
    return launchStartNs;
  }

  /** End of the host API call that launched this GPU record; 0 when unknown. */
  public long launchEndNs() {
    return launchEndNs;
  }

  /** True for a heap reading after a collection (see {@link #HEAP_AFTER_GC}). */
  public boolean isHeapAfterGc() {
    return HEAP_AFTER_GC.equals(name);
  }

  /** True for an execution sample (see {@link #SAMPLE}). */
  public boolean isSample() {
    return SAMPLE.equals(name);
  }

  @Override
  public String toString() {
    return origin + ":" + name + "[" + startNs + ".." + endNs + "]";
  }
}
