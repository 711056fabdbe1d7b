package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.DetachedBuffers;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import net.bytebuddy.asm.Advice;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code OpaqueDataBuffer.allocateDataBuffer(length, type, allocateBoth)}: ND4J's one native allocation of a data
 * buffer that no workspace holds (a buffer in a workspace is carved out of it by {@code MemoryWorkspace.alloc}
 * instead). Its bytes are added to the open step's {@link MemorySlots#DETACHED_ALLOC_BYTES} (outside a step, the
 * model's parameters at {@code init} or an asynchronous iterator's thread, they are not), and, by the buffer's native
 * address, to the process's {@link MemorySlots#DETACHED_LIVE_BYTES} until libnd4j frees it
 * ({@link DetachedFreedAdvice}).
 */
final class DetachedAllocAdvice {
  private DetachedAllocAdvice() {}

  @Advice.OnMethodExit(suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.Argument(0) long length, @Advice.Argument(1) DataType type,
      @Advice.Return Object buffer) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    long bytes = length * type.width();
    Recorder.addToStepMemory(MemorySlots.DETACHED_ALLOC_BYTES, bytes);
    if (buffer instanceof Pointer) {
      DetachedBuffers.allocated(((Pointer) buffer).address(), bytes);
    }
  }
}
