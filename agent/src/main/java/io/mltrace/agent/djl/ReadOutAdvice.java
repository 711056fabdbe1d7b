package io.mltrace.agent.djl;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import java.nio.Buffer;
import net.bytebuddy.asm.Advice;

/**
 * {@code JniUtils.getByteBuffer(array, ...)}, behind {@code NDArray.toArray}, {@code getFloat} and friends: a tensor
 * copied out to host memory, with the bytes of the buffer it returns.
 */
final class ReadOutAdvice {
  private ReadOutAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Return Object buffer) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long bytes = buffer instanceof Buffer ? ((Buffer) buffer).limit() : 0;
    Recorder.exitOp(tr, Kind.OP_COPY, "getByteBuffer", 0, bytes, null, null, null);
  }
}
