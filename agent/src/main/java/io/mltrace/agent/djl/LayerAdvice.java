package io.mltrace.agent.djl;

import ai.djl.ndarray.NDList;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code AbstractBaseBlock.forward(...)}: one block of the model, as a layer span named after the block's class
 * ({@code Linear}, {@code Conv2d}, {@code SequentialBlock}...), nested as the blocks nest. The first input's and
 * first output's shapes are read only when the span is recorded (the output is a fresh array: a native call). In a
 * step that is not detailed no span opens at all.
 */
final class LayerAdvice {
  private LayerAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterLayer();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.This Object block, @Advice.Argument(1) Object inputs,
      @Advice.Return Object outputs) {
    if (tr == null) {
      return;
    }
    long end = Recorder.endOfRecordedSpan(tr);
    String name = "block";
    long[] in = null;
    long[] out = null;
    try {
      // getSimpleName is cached by the JVM after the first call: no allocation per call.
      name = block.getClass().getSimpleName();
      if (name.isEmpty()) {
        name = block.getClass().getName(); // an anonymous block class
      }
      if (Recorder.recordsSpans(tr)) {
        NDList i = (NDList) inputs;
        if (i != null && !i.isEmpty()) {
          in = i.get(0).getShape().getShape();
        }
        NDList o = (NDList) outputs;
        if (o != null && !o.isEmpty()) {
          out = o.get(0).getShape().getShape();
        }
      }
    } catch (Throwable ignored) {
      // Shapes are optional; the span is still closed below.
    }
    Recorder.exitLayer(tr, name, in, out, end);
  }
}
