package io.mltrace.agent.djl;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** {@code DataIterable.next()}: fetching and batchifying one batch; opens the step when it is the first call. */
final class DataAdvice {
  private DataAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.DATA, "data");
  }
}
