package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * The constructors of {@code PtNDArray} that wrap a native tensor handle: a tensor was created, of shape size ×
 * element size bytes (DJL keeps both once read, so the close reads them again for free), held by the
 * {@code NDManager} it was created in (the constructor's first argument).
 */
final class ArrayCreatedAdvice {
  private ArrayCreatedAdvice() {}

  @Advice.OnMethodExit(suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.This Object array, @Advice.Argument(0) Object manager) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    NDArray a = (NDArray) array;
    TensorLife.created(array, a.getShape().size() * a.getDataType().getNumOfBytes(), manager);
  }
}
