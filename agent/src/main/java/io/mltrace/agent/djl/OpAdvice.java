package io.mltrace.agent.djl;

import ai.djl.ndarray.NDArray;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * Any other tensor operation of {@code JniUtils} (activation, add, softmax, reshape, optimizer update...):
 * {@code other_compute}, named after the method. Its first input's shape is read only when the span is recorded:
 * for a fresh array that is a native call, and these ops are many and short.
 */
final class OpAdvice {
  private OpAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
      @Advice.Argument(0) Object first) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long[] a = null;
    try {
      if (first instanceof NDArray && Recorder.recordsSpans(tr)) {
        a = ((NDArray) first).getShape().getShape();
      }
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitOp(tr, Kind.OP_OTHER, name, 0, 0, a, null, null);
  }
}
