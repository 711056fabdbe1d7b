package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.SpanNames;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Layer.activate(training, workspaceMgr)} and {@code activate(input, training, workspaceMgr)}: one layer's
 * forward pass, named {@code Type[index]}, with its input and output shapes. A call on the same layer from inside
 * its own span (an override calling {@code super}, or the 3-argument form calling the 2-argument one) records no
 * second span.
 */
final class LayerActivateAdvice {
  private LayerActivateAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @Advice.This Object layer) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOwnedSpan(layer);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.This Object layer, @Advice.Return INDArray output) {
    if (tr == null) {
      return;
    }
    long end = Recorder.endOfRecordedSpan(tr);
    String name = "layer";
    long[] in = null;
    long[] out = null;
    try {
      Layer l = (Layer) layer;
      name = SpanNames.indexed(layer.getClass(), l.getIndex(), "");
      INDArray input = l.input();
      in = input == null ? null : input.shape();
      out = output == null ? null : output.shape();
    } catch (Throwable ignored) {
      // Names and shapes are optional; the span is still closed below.
    }
    Recorder.exitSpan(tr, Kind.LAYER, name, in, out, null, end);
  }
}
