package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code Trainer.step()}: the optimizer update, which ends a training iteration. */
final class StepEndAdvice {
  private StepEndAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitStepEnd(tr, "optimizer");
  }
}
