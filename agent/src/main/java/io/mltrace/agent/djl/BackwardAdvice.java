package io.mltrace.agent.djl;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code PtGradientCollector.backward}: the whole backward pass is one native call, so its GEMMs are not seen as
 * ops here. The span is split: an estimated GEMM child ({@code backward_gemm}, flagged as an estimate) at its end,
 * twice the forward GEMM work at the forward GEMM throughput; the rest stays backward framework time.
 */
final class BackwardAdvice {
  private BackwardAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterSpan();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitBackward(tr, "backward", "backward_gemm");
  }
}
