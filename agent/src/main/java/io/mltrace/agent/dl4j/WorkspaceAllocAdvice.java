package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Slots;
import net.bytebuddy.asm.Advice;

/** {@code Nd4jWorkspace.alloc(bytes, kind, type, initialize)}: counted into the open step's attributes. */
final class WorkspaceAllocAdvice {
  private WorkspaceAllocAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.Argument(0) long bytes) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    Recorder.addToStepAttribute(Slots.ATTR_WORKSPACE_ALLOC_BYTES, bytes);
    Recorder.addToStepAttribute(Slots.ATTR_WORKSPACE_ALLOCS, 1);
  }
}
