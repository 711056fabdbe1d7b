package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * A GEMM that is one JNI call on two arrays: {@code JniUtils.linear(input, weight, bias)} ({@code GemmShapes.LINEAR})
 * and {@code JniUtils.matmul/bmm/dot(a, b)} ({@code GemmShapes.MATMUL}, numpy broadcasting); the span is named after
 * the method, and the form that turns the two shapes into {@code 2·M·N·K} FLOPs is bound per hook
 * ({@link BoundGemmForm}).
 *
 * <p>The shapes are read on every call, sampled or not, because the step's always-on FLOPs counter needs them: a
 * weight's shape is cached by DJL (a parameter), a fresh array's costs one native call the first time it is read,
 * small next to the GEMM itself. The type is read only when the span is recorded.
 */
final class GemmAdvice {
  private GemmAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name, @BoundGemmForm int form,
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
    Recorder.exitOp(tr, Kind.OP_GEMM, name, GemmShapes.flops(form, a, b), 0, a, b, null, dtype);
  }
}
