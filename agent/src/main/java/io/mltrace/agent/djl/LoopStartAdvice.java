package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Recorder;
import net.bytebuddy.asm.Advice;

/** {@code Trainer.iterateDataset}: a new pass over the data; a step left open by the previous loop is dropped. */
final class LoopStartAdvice {
  private LoopStartAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter() {
    Recorder.loopStart();
  }
}
