package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.util.NativeResource;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * {@code PtNDArray.close()}: the tensor is freed, unless it was already (a second close frees nothing). Read on
 * entry, while its handle and type are still there. A tensor created in the thread's open step or the one before is
 * closed with the bytes its creation counted (no native call); any other has its elements counted as at its creation
 * ({@link ArrayCreatedAdvice}), so that both read the same size.
 */
final class ArrayClosedAdvice {
  private ArrayClosedAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook, @Advice.This Object array) {
    if (HookHealth.isOff(hook) || ((NativeResource<?>) array).isReleased()) {
      return;
    }
    NDArray a = (NDArray) array;
    if (a.getDataType() != ai.djl.ndarray.types.DataType.STRING && !TensorLife.closedWithKnownSize(array)) {
      long elements = TensorLife.elements(array, ((NativeResource<?>) array).getHandle());
      if (elements < 0) {
        elements = a.getShape().size();
      }
      TensorLife.closed(array, elements * a.getDataType().getNumOfBytes());
    }
  }
}
