package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** The {@code forward} phase of an iteration (see {@link Dl4jInstrumentation} for the methods). */
final class ForwardAdvice {
  private ForwardAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterSpan();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.PHASE, "forward");
  }
}
