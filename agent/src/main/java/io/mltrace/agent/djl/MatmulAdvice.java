package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code JniUtils.matmul/bmm/dot(a, b)}: batched {@code 2·M·N·K} FLOPs (numpy broadcasting).
 *
 * <p>The shapes are read on every call, sampled or not, because the step's always-on FLOPs counter needs them: each
 * input's costs one native call the first time it is read (a fresh array), small next to the GEMM itself. The type
 * is read only when the span is recorded.
 */
final class MatmulAdvice {
  private MatmulAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
      @Advice.Argument(0) Object left, @Advice.Argument(1) Object right) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long[] a = null;
    long[] b = null;
    int dtype = 0;
    try {
      a = ((NDArray) left).getShape().getShape();
      b = ((NDArray) right).getShape().getShape();
      if (Recorder.recordsSpans(tr)) {
        dtype = DataTypes.code(((NDArray) left).getDataType().name());
      }
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_GEMM, name, GemmShapes.flops(GemmShapes.MATMUL, a, b), 0, a, b, null, dtype);
  }
}
