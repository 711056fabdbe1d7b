package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.OpFlops;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;

/**
 * {@code NativeOpExecutioner.exec(CustomOp, OpContext)}: every custom op (matmul, conv2d, lstmLayer, ...) passes
 * here just before the native call. Records the op name, the shapes of the first two inputs and the first output,
 * the first input's data type and the FLOPs ({@link OpFlops}). Shapes are Java-side: no native call. In a step that
 * is not sampled a non-GEMM op reads only its name.
 */
final class CustomOpAdvice {
  private CustomOpAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Argument(0) CustomOp op,
      @Advice.Argument(1) OpContext context, @Advice.Return INDArray[] outputs) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    String name = "custom_op";
    int kind = Kind.OP_OTHER;
    long flops = 0;
    int dtype = 0;
    long[] in0 = null;
    long[] in1 = null;
    long[] out0 = null;
    try {
      name = op.opName();
      boolean gemm = OpFlops.isGemmLike(name);
      // A GEMM needs its shapes in every step (the FLOPs counter); other ops only for a record.
      if (gemm || Recorder.recordsSpans(tr)) {
        int inputs = context.numInputArguments();
        INDArray a = inputs > 0 ? context.getInputArray(0) : null;
        INDArray b = inputs > 1 ? context.getInputArray(1) : null;
        INDArray c = inputs > 2 ? context.getInputArray(2) : null;
        INDArray out = outputs != null && outputs.length > 0 ? outputs[0] : null;
        in0 = a == null ? null : a.shape();
        in1 = b == null ? null : b.shape();
        out0 = out == null ? null : out.shape();
        dtype = a == null ? 0 : DataTypes.code(a.dataType().name());
        if (gemm) {
          kind = Kind.OP_GEMM;
          flops = OpFlops.ofNamedOp(name, in0, in1, c == null ? null : c.shape(), out0);
        }
      }
    } catch (Throwable ignored) {
      // Attributes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, kind, name, flops, 0, in0, in1, out0, dtype);
  }
}
