package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code JniUtils.lstm/gru/rnn(input, hx, params, ...)}: a whole recurrent stack in one native call. FLOPs: for
 * every sample and time step, {@code 2·rows·cols} for each 2-D weight in {@code params} (so {@code 8·h·(in+h)}
 * per LSTM layer and direction, {@code 6·h·(in+h)} for GRU, {@code 2·h·(in+h)} for a plain RNN). The weights'
 * shapes are cached by DJL (parameters); the input's costs one native call.
 */
final class RecurrentAdvice {
  private RecurrentAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
      @Advice.Argument(0) Object input, @Advice.Argument(2) Object params) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long[] in = null;
    long[] firstWeight = null;
    long flops = 0;
    int dtype = 0;
    try {
      in = ((NDArray) input).getShape().getShape();
      NDList weights = (NDList) params;
      long perStep = 0;
      for (int i = 0; i < weights.size(); i++) {
        long[] s = weights.get(i).getShape().getShape();
        if (s.length == 2) {
          perStep += 2 * s[0] * s[1];
          if (firstWeight == null) {
            firstWeight = s;
          }
        }
      }
      flops = GemmShapes.recurrent(GemmShapes.leadingProduct(in), perStep);
      if (Recorder.recordsSpans(tr)) {
        dtype = DataTypes.code(((NDArray) input).getDataType().name());
      }
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_GEMM, name, flops, 0, in, firstWeight, null, dtype);
  }
}
