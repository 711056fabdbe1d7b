package io.mltrace.agent.instrument;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * A span of a bound kind and name around a framework method ({@link Hook#span}): a phase such as
 * {@code Trainer.notifyListeners}, a data wait such as {@code Batch.close}, an inference call. The kind and the
 * name are constants bound per hook ({@code Advice.withCustomMapping()}), so one advice serves every such hook.
 */
final class SpanAdvice {
  private SpanAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterSpan();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @BoundKind int kind, @BoundName String name) {
    Recorder.exitSpan(tr, kind, name);
  }
}
