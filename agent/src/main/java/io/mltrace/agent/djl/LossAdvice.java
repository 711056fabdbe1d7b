package io.mltrace.agent.djl;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code Loss.evaluate}: the {@code loss} phase of a training step (it opens the step in a hand-written loop), or,
 * right after an evaluation call on the same thread ({@code Trainer.evaluate} returned and no phase began since), the
 * validation loss of that evaluation: then a root span outside steps like the evaluation itself
 * ({@link Recorder#afterEvaluation}).
 */
final class LossAdvice {
  private LossAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @Advice.Local("evaluation") boolean evaluation) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    evaluation = Recorder.afterEvaluation();
    return evaluation ? Recorder.enterRoot() : Recorder.enterPhase();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Local("evaluation") boolean evaluation) {
    if (evaluation) {
      Recorder.exitRoot(tr, Kind.INFERENCE, "loss");
    } else {
      Recorder.exitSpan(tr, Kind.PHASE, "loss");
    }
  }
}
