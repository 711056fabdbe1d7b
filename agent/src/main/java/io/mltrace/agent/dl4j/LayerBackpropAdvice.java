package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.SpanNames;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Layer.backpropGradient(epsilon, workspaceMgr)}: one layer's backward pass, named {@code Type[index].backprop},
 * with the shapes of the incoming gradient (none for an output layer) and of the gradient it passes on.
 * Named through {@link SpanNames}, so the name costs no allocation after the first iteration.
 */
final class LayerBackpropAdvice {
  private LayerBackpropAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @Advice.This Object layer) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOwnedSpan(layer);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.This Object layer, @Advice.Argument(0) INDArray epsilon,
      @Advice.Return Pair<?, INDArray> result) {
    if (tr == null) {
      return;
    }
    long end = Recorder.endOfRecordedSpan(tr);
    String name = "layer.backprop";
    long[] in = null;
    long[] out = null;
    try {
      name = SpanNames.indexed(layer.getClass(), ((Layer) layer).getIndex(), ".backprop");
      in = epsilon == null ? null : epsilon.shape();
      INDArray next = result == null ? null : result.getSecond();
      out = next == null ? null : next.shape();
    } catch (Throwable ignored) {
      // Names and shapes are optional; the span is still closed below.
    }
    // An output layer gets no gradient in (it starts from its labels): its one shape is the gradient out.
    Recorder.exitSpan(tr, Kind.LAYER, name, in == null ? out : in, in == null ? null : out, null, end);
  }
}
