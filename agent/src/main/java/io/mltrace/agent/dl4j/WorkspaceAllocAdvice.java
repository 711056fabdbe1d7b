package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Slots;
import net.bytebuddy.asm.Advice;

/** {@code Nd4jWorkspace.alloc(bytes, kind, type, initialize)}: counted into the open step's attributes. */
final class WorkspaceAllocAdvice {
  private WorkspaceAllocAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@Advice.Argument(0) long bytes) {
    Recorder.addToStepAttribute(Slots.ATTR_WORKSPACE_ALLOC_BYTES, bytes);
    Recorder.addToStepAttribute(Slots.ATTR_WORKSPACE_ALLOCS, 1);
  }
}
