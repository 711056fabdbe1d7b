package io.mltrace.exporters.jfr;

import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.Map;
import jdk.jfr.EventType;

/**
 * Commits a {@link StepMemoryEvent} per step that measured memory. A sink of complete steps, unlike
 * {@link JfrEventWriter} (an early sink): the heap after GC and the GPU series are derived from JFR's and CUPTI's
 * records, which reach the collector after the step's own record, and only the complete step carries them.
 */
final class StepMemoryEvents implements StepSink {
  private long committed;

  @Override
  public void onStep(Step step) {
    if (step.memory().isEmpty() || !JfrEventWriter.anyRecordingPossible()
        || !EventType.getEventType(StepMemoryEvent.class).isEnabled()) {
      return;
    }
    StepMemoryEvent e = new StepMemoryEvent();
    if (!e.shouldCommit()) {
      return;
    }
    e.step = step.number();
    e.javaThreadId = step.threadId();
    for (Map.Entry<MemorySeries, Long> m : step.memory().values().entrySet()) {
      set(e, m.getKey(), m.getValue());
    }
    e.commit();
    committed++;
  }

  /** One field per series (a test checks that every series has its field). */
  private static void set(StepMemoryEvent e, MemorySeries series, long v) {
    switch (series) {
      case HEAP_ALLOCATED_BYTES: e.heap_allocated_bytes = v; break;
      case ARRAYS_LIVE_BYTES: e.arrays_live_bytes = v; break;
      case ARRAYS_LIVE: e.arrays_live = v; break;
      case ARRAYS_CREATED_BYTES: e.arrays_created_bytes = v; break;
      case STEP_ARRAYS_ALIVE_BYTES: e.step_arrays_alive_bytes = v; break;
      case STEP_ARRAYS_ALIVE: e.step_arrays_alive = v; break;
      case OFFHEAP_BYTES: e.offheap_bytes = v; break;
      case PHYSICAL_BYTES: e.physical_bytes = v; break;
      case WORKSPACE_ALLOC_BYTES: e.workspace_alloc_bytes = v; break;
      case WORKSPACE_BYTES: e.workspace_bytes = v; break;
      case DETACHED_ALLOC_BYTES: e.detached_alloc_bytes = v; break;
      case DETACHED_LIVE_BYTES: e.detached_live_bytes = v; break;
      case HEAP_AFTER_GC_BYTES: e.heap_after_gc_bytes = v; break;
      case GPU_ALLOC_BYTES: e.gpu_alloc_bytes = v; break;
      case GPU_FREE_BYTES: e.gpu_free_bytes = v; break;
      case GPU_ALLOCS: e.gpu_allocs = v; break;
      case GPU_FREES: e.gpu_frees = v; break;
      case GPU_LIVE_BYTES: e.gpu_live_bytes = v; break;
      case PARAMETERS_BYTES: e.parameters_bytes = v; break;
      case GRADIENTS_BYTES: e.gradients_bytes = v; break;
      case OPTIMIZER_STATE_BYTES: e.optimizer_state_bytes = v; break;
      default: break; // a series added later: not in this event until it has a field
    }
  }

  /** Events committed so far. */
  long committed() {
    return committed;
  }
}
