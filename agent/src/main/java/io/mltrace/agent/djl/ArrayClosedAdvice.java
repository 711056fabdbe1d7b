package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.util.NativeResource;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * {@code PtNDArray.close()}: the tensor is freed, unless it was already (a second close frees nothing). Read on
 * entry, while its handle, shape and type are still there.
 */
final class ArrayClosedAdvice {
  private ArrayClosedAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.This Object array) {
    if (HookHealth.isOff(hook) || ((NativeResource<?>) array).isReleased()) {
      return;
    }
    NDArray a = (NDArray) array;
    if (a.getDataType() != ai.djl.ndarray.types.DataType.STRING) {
      TensorLife.closed(array, a.getShape().size() * a.getDataType().getNumOfBytes());
    }
  }
}
