package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * {@code BaseDataBuffer.close()} (behind {@code INDArray.close()}): a buffer counted when it was created is freed
 * now; any other (a view, a workspace's) is not in the tracker and changes nothing.
 */
final class BufferClosedAdvice {
  private BufferClosedAdvice() {}

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.This Object buffer, @Advice.Thrown Throwable thrown) {
    if (thrown == null && !HookHealth.isOff(hook)) {
      TensorLife.closedCollectable(buffer);
    }
  }
}
