package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code PtGradientCollector.backward}: the whole backward pass is one native call, so its GEMMs are not seen as
 * ops here; the span shows where it is.
 */
final class BackwardAdvice {
  private BackwardAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterSpan();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.PHASE, "backward");
  }
}
