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
 * {@code JniUtils.convolution(input, weight, bias, stride, padding, dilation, groups)}: a GEMM-like op of
 * {@code 2·N·Cout·Hout·Wout·Cin·Kh·Kw/groups} FLOPs, computed from the output and weight shapes (exact for any
 * stride, padding, dilation and groups). The output's shape (one native call) and the weight's (cached: a
 * parameter) are read on every call for the FLOPs counter; the input's shape and type only when the span is
 * recorded.
 */
final class ConvolutionAdvice {
  private ConvolutionAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Argument(0) Object input,
      @Advice.Argument(1) Object weight, @Advice.Return Object output) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long[] in = null;
    long[] w = null;
    long flops = 0;
    int dtype = 0;
    try {
      w = ((NDArray) weight).getShape().getShape();
      if (output != null) {
        flops = GemmShapes.convolution(((NDArray) output).getShape().getShape(), w);
      }
      if (Recorder.recordsSpans(tr)) {
        in = ((NDArray) input).getShape().getShape();
        dtype = DataTypes.code(((NDArray) input).getDataType().name());
      }
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_GEMM, "convolution", flops, 0, in, w, null, dtype);
  }
}
