package io.mltrace.agent.instrument;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * A root span of a bound kind and name outside any training step ({@link Hook#root}): an inference call, or an
 * evaluation pass that a training loop runs between two iterations (DJL's {@code Trainer.evaluate}, DL4J's
 * {@code doEvaluation}). Without it such a pass ran inside the next step and was billed to it (as its forward
 * compute, or as input time before its first phase). Nested roots (an evaluation pass calling the model's own
 * inference method) are spans of the outermost one. Bound {@link OutsideSpansOnly}, the call records nothing inside an
 * open span ({@link Hook#rootOutsideSpans}).
 */
final class RootAdvice {
  private RootAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @OutsideSpansOnly boolean outsideSpansOnly) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    return outsideSpansOnly ? Recorder.enterRootOutsideSpans() : Recorder.enterRoot();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @BoundKind int kind, @BoundName String name) {
    Recorder.exitRoot(tr, kind, name);
  }
}
