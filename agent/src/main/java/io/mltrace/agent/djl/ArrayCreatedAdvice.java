package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.util.NativeResource;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.TensorLife;
import net.bytebuddy.asm.Advice;

/**
 * The constructors of {@code PtNDArray} that wrap a native tensor handle: a tensor was created, of element count ×
 * element size bytes, held by the {@code NDManager} it was created in (the constructor's first argument). The count
 * comes from the handle ({@link TensorLife#elements}, {@code DjlTensorElements}), not from {@code getShape()}, which
 * would build a DJL {@code Shape} for every array; the shape only where that is not available. The type is read
 * once (DJL keeps it), so the close reads it again for free.
 */
final class ArrayCreatedAdvice {
  private ArrayCreatedAdvice() {}

  @Advice.OnMethodExit(suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.This Object array, @Advice.Argument(0) Object manager) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    NDArray a = (NDArray) array;
    long elements = TensorLife.elements(array, ((NativeResource<?>) array).getHandle());
    if (elements < 0) {
      elements = a.getShape().size();
    }
    TensorLife.created(array, elements * a.getDataType().getNumOfBytes(), manager);
  }
}
