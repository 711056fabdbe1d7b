package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code fit(DataSetIterator)} and friends: one pass over the data. At its start this thread becomes a training
 * thread (its batch fetches open steps); at its end the step opened by the last iteration, which holds only the
 * final {@code hasNext()}, is forgotten.
 */
final class FitLoopAdvice {
  private FitLoopAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook) {
    if (!HookHealth.isOff(hook)) {
      Recorder.loopStart();
    }
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@HookId int hook) {
    if (!HookHealth.isOff(hook)) {
      Recorder.loopEnd();
    }
  }
}
