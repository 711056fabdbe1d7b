package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.Op;

/**
 * {@code NativeOpExecutioner.exec(XxxOp, OpContext)}: the legacy ops (transform, scalar, broadcast, reduce, index
 * reduce, random), each at its typed executor just before the native call. Records the op name, the shapes of
 * {@code x}, {@code y} and {@code z} and the data type of {@code x}; in a step that is not sampled, only the name
 * (the op is counted, not recorded).
 */
final class LegacyOpAdvice {
  private LegacyOpAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Argument(0) Op op) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    String name = "legacy_op";
    int dtype = 0;
    long[] x = null;
    long[] y = null;
    long[] z = null;
    try {
      name = op.opName();
      if (Recorder.recordsSpans(tr)) { // shapes and type only for a record: a counted op needs its name alone
        INDArray a = op.x();
        INDArray b = op.y();
        INDArray c = op.z();
        x = a == null ? null : a.shape();
        y = b == null ? null : b.shape();
        z = c == null ? null : c.shape();
        dtype = a == null ? 0 : DataTypes.code(a.dataType().name());
      }
    } catch (Throwable ignored) {
      // Attributes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_OTHER, name, 0, 0, x, y, z, dtype);
  }
}
