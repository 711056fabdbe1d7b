package io.mltrace.agent.custom;

import io.mltrace.agent.instrument.BoundKind;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/** A user method named by the {@code spans} option: a span of the bound kind, named {@code Class.method}. */
final class CustomSpanAdvice {
  private CustomSpanAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @BoundKind int kind) {
    return HookHealth.isOff(hook) ? null : Recorder.enterCustom(kind);
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @BoundKind int kind, @Advice.Origin("#t.#m") String name,
      @Advice.This(optional = true) Object self) {
    // The object tells where to look for Spark's TaskContext (its loader): on an executor the span carries its task.
    Recorder.exitCustom(tr, kind, name, self);
  }
}
