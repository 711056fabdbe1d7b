package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code JniUtils.to(array, dataType, device)}, behind {@code NDArray.toDevice} and {@code toType}: a copy, with
 * the bytes of the array it produces. DJL returns the same array without calling it when nothing changes.
 */
final class CopyAdvice {
  private CopyAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Argument(0) Object source,
      @Advice.Return Object copy) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long[] shape = null;
    long bytes = 0;
    int dtype = 0;
    try {
      if (Recorder.recordsSpans(tr) && copy != null) {
        NDArray out = (NDArray) copy;
        shape = out.getShape().getShape();
        bytes = out.getShape().size() * out.getDataType().getNumOfBytes();
        dtype = DataTypes.code(((NDArray) source).getDataType().name());
      }
    } catch (Throwable ignored) {
      // Sizes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_COPY, "to", 0, bytes, shape, null, null, dtype);
  }
}
