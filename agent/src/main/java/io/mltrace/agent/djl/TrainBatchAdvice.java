package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code EasyTrain.trainBatch}: forward, loss and backward of one batch, a phase of the step. */
final class TrainBatchAdvice {
  private TrainBatchAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.PHASE, "trainBatch");
  }
}
