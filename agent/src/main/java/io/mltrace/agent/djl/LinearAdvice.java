package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code JniUtils.linear(input, weight, bias)}: a GEMM of {@code 2·M·N·K} FLOPs. */
final class LinearAdvice {
  private LinearAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Argument(0) Object input,
      @Advice.Argument(1) Object weight) {
    if (tr == null) {
      return;
    }
    long[] a = null;
    long[] b = null;
    try {
      a = ((NDArray) input).getShape().getShape();
      b = ((NDArray) weight).getShape().getShape();
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitGemm(tr, "linear", GemmShapes.LINEAR, a, b);
  }
}
