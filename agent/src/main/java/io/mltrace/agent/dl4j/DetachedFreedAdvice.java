package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.DetachedBuffers;
import io.mltrace.bootstrap.HookHealth;
import net.bytebuddy.asm.Advice;
import org.bytedeco.javacpp.Pointer;

/**
 * The two ways libnd4j frees a detached buffer: {@code OpaqueDataBuffer.closeBuffer()} (the buffer itself, an
 * explicit close) and {@code CpuDeallocator.deallocate()} (its {@code opaqueDataBuffer}, once the collector found the
 * buffer unreachable, on ND4J's deallocator thread). Read before the call: the address is still the buffer's.
 */
final class DetachedFreedAdvice {
  private DetachedFreedAdvice() {}

  /** {@code OpaqueDataBuffer.closeBuffer()}. */
  static final class Closed {
    private Closed() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@HookId int hook, @Advice.This Object buffer) {
      if (!HookHealth.isOff(hook) && buffer instanceof Pointer) {
        DetachedBuffers.freed(((Pointer) buffer).address());
      }
    }
  }

  /** {@code CpuDeallocator.deallocate()}. */
  static final class Deallocated {
    private Deallocated() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@HookId int hook, @Advice.FieldValue("opaqueDataBuffer") Object buffer) {
      if (!HookHealth.isOff(hook) && buffer instanceof Pointer) {
        DetachedBuffers.freed(((Pointer) buffer).address());
      }
    }
  }
}
