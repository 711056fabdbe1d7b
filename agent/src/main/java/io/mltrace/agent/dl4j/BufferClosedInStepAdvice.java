package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * {@code BaseDataBuffer.close()} in the default {@code memory=on}: a buffer counted by
 * {@link BufferCreatedInStepAdvice} leaves its step's survivors; any other changes nothing.
 */
final class BufferClosedInStepAdvice {
  private BufferClosedInStepAdvice() {}

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.This Object buffer, @Advice.Thrown Throwable thrown) {
    if (thrown == null && !HookHealth.isOff(hook)) {
      TensorLife.closedInStep(buffer);
    }
  }
}
