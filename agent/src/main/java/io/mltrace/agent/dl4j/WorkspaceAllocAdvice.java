package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code Nd4jWorkspace.alloc(bytes, kind, type, initialize)}: the bytes are added to the open step's
 * {@link MemorySlots#WORKSPACE_ALLOC_BYTES}.
 */
final class WorkspaceAllocAdvice {
  private WorkspaceAllocAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.Argument(0) long bytes) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    Recorder.addToStepMemory(MemorySlots.WORKSPACE_ALLOC_BYTES, bytes);
  }
}
