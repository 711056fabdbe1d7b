package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code DataSetIterator.next()/hasNext()} (and the multi-data-set ones): extract, transform, load one batch. On
 * the training thread it is part of the step (and opens it); on a prefetch thread it is a span outside steps.
 * {@code AsyncDataSetIterator.hasNext()} blocks until the prefetch thread delivers, so that wait is here too.
 */
final class DataAdvice {
  private DataAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterLoopPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String method) {
    Recorder.exitSpan(tr, Kind.DATA, "next".equals(method) ? "etl" : "etl.hasNext");
  }
}
