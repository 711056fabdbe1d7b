package io.mltrace.agent.instrument;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * A span of a bound kind and name around a framework method ({@link Hook#span}, {@link Hook#stepPart}): a phase
 * such as {@code Trainer.forward}, a data wait such as {@code Batch.close}, an inference call. The kind, the name
 * and whether the span opens a step on a training loop's thread ({@code Recorder.enterStepPart}: a step begins
 * with its first phase, such as DJL's data fetch) are constants bound per hook ({@code Advice.withCustomMapping()}),
 * so one advice serves every such hook; the JIT folds the constant test away.
 */
final class SpanAdvice {
  private SpanAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @OpensStep boolean opensStep, @BoundKind int kind) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    // A phase that opens the step begins the iteration (a root after it is inside the step); a fetch does not.
    return !opensStep ? Recorder.enterSpan() : kind == Kind.PHASE ? Recorder.enterPhase() : Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @BoundKind int kind, @BoundName String name) {
    Recorder.exitSpan(tr, kind, name);
  }
}
