package io.mltrace.agent.instrument;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * A part of a training step of a bound kind and name ({@link Hook#stepPart}): on the loop thread it opens the step
 * when none is open ({@code Recorder.enterStepPart}), so a step begins with its first phase, such as DJL's data
 * fetch or forward pass. The kind and the name are constants bound per hook.
 */
final class StepPartAdvice {
  private StepPartAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @BoundKind int kind, @BoundName String name) {
    Recorder.exitSpan(tr, kind, name);
  }
}
