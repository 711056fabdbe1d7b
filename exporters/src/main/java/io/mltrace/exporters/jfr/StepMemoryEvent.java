package io.mltrace.exporters.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One training step's memory: a field per memory series, named by the series' key as in every other output;
 * {@link #NOT_MEASURED} in a series the step did not measure (a job without DL4J has no workspaces). Levels are the
 * state at the step's end, flows what the step did.
 */
@Name("mltrace.StepMemory")
@Label("Training Step Memory")
@Category({"mltrace"})
@Description("Memory of one training iteration recorded by mltrace: heap, native arrays, off-heap, workspaces, GPU;"
    + " -1 in a series that was not measured")
@StackTrace(false)
public final class StepMemoryEvent extends jdk.jfr.Event {
  /** The value of a series that the step did not measure. */
  public static final long NOT_MEASURED = -1;

  @Label("Step")
  public long step;

  @Label("Training Thread Id")
  public long javaThreadId;

  @Label("Heap Allocated by the Thread")
  @DataAmount(DataAmount.BYTES)
  public long heap_allocated_bytes = NOT_MEASURED;

  @Label("Live Arrays")
  @DataAmount(DataAmount.BYTES)
  public long arrays_live_bytes = NOT_MEASURED;

  @Label("Live Array Count")
  public long arrays_live = NOT_MEASURED;

  @Label("Arrays Created in the Step")
  @DataAmount(DataAmount.BYTES)
  public long arrays_created_bytes = NOT_MEASURED;

  @Label("Arrays of the Step Alive at its End")
  @DataAmount(DataAmount.BYTES)
  public long step_arrays_alive_bytes = NOT_MEASURED;

  @Label("Array Count of the Step Alive at its End")
  public long step_arrays_alive = NOT_MEASURED;

  @Label("JavaCPP Off-Heap")
  @DataAmount(DataAmount.BYTES)
  public long offheap_bytes = NOT_MEASURED;

  @Label("Physical (Resident) Memory")
  @DataAmount(DataAmount.BYTES)
  public long physical_bytes = NOT_MEASURED;

  @Label("Workspace Allocations in the Step")
  @DataAmount(DataAmount.BYTES)
  public long workspace_alloc_bytes = NOT_MEASURED;

  @Label("Workspaces Held")
  @DataAmount(DataAmount.BYTES)
  public long workspace_bytes = NOT_MEASURED;

  @Label("Detached Allocations in the Step")
  @DataAmount(DataAmount.BYTES)
  public long detached_alloc_bytes = NOT_MEASURED;

  @Label("Detached Buffers Held")
  @DataAmount(DataAmount.BYTES)
  public long detached_live_bytes = NOT_MEASURED;

  @Label("Heap after GC")
  @DataAmount(DataAmount.BYTES)
  public long heap_after_gc_bytes = NOT_MEASURED;

  @Label("GPU Allocated in the Step")
  @DataAmount(DataAmount.BYTES)
  public long gpu_alloc_bytes = NOT_MEASURED;

  @Label("GPU Freed in the Step")
  @DataAmount(DataAmount.BYTES)
  public long gpu_free_bytes = NOT_MEASURED;

  @Label("GPU Allocations in the Step")
  public long gpu_allocs = NOT_MEASURED;

  @Label("GPU Frees in the Step")
  public long gpu_frees = NOT_MEASURED;

  @Label("GPU Memory Held")
  @DataAmount(DataAmount.BYTES)
  public long gpu_live_bytes = NOT_MEASURED;

  @Label("Model Parameters")
  @DataAmount(DataAmount.BYTES)
  public long parameters_bytes = NOT_MEASURED;

  @Label("Model Gradients")
  @DataAmount(DataAmount.BYTES)
  public long gradients_bytes = NOT_MEASURED;

  @Label("Optimizer State")
  @DataAmount(DataAmount.BYTES)
  public long optimizer_state_bytes = NOT_MEASURED;
}
