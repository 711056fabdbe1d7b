package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import net.bytebuddy.asm.Advice;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code OpaqueDataBuffer.allocateDataBuffer(length, type, allocateBoth)}: ND4J's one native allocation of a data
 * buffer that no workspace holds (a buffer in a workspace is carved out of it by {@code MemoryWorkspace.alloc}
 * instead). Its bytes are added to the open step's {@link MemorySlots#DETACHED_ALLOC_BYTES}; outside a step (the
 * model's parameters at {@code init}, an asynchronous iterator's thread) nothing is counted.
 */
final class DetachedAllocAdvice {
  private DetachedAllocAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.Argument(0) long length, @Advice.Argument(1) DataType type) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    Recorder.addToStepMemory(MemorySlots.DETACHED_ALLOC_BYTES, length * type.width());
  }
}
