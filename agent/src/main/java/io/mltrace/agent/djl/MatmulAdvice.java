package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code JniUtils.matmul/bmm/dot(a, b)}: batched {@code 2·M·N·K} FLOPs. */
final class MatmulAdvice {
  private MatmulAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
      @Advice.Argument(0) Object left, @Advice.Argument(1) Object right) {
    if (tr == null) {
      return;
    }
    long[] a = null;
    long[] b = null;
    try {
      a = ((NDArray) left).getShape().getShape();
      b = ((NDArray) right).getShape().getShape();
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitGemm(tr, name, GemmShapes.MATMUL, a, b);
  }
}
