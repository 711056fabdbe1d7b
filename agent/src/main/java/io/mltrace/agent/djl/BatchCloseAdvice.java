package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code Batch.close()}: releasing a batch's arrays, the end of the data pipeline's work for one step. */
final class BatchCloseAdvice {
  private BatchCloseAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterSpan();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.DATA, "batch.close");
  }
}
