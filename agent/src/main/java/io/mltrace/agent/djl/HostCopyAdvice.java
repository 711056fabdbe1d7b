package io.mltrace.agent.djl;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import java.nio.Buffer;
import net.bytebuddy.asm.Advice;

/**
 * {@code JniUtils.set(array, buffer)} and {@code createNdFromByteBuffer(manager, buffer, ...)}: host memory copied
 * into a tensor, with the buffer's bytes (read from the Java buffer: no native call).
 */
final class HostCopyAdvice {
  private HostCopyAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterOp();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
      @Advice.Argument(1) Object buffer) {
    Recorder.markOpEnd(tr);
    if (tr == null) {
      return;
    }
    long bytes = buffer instanceof Buffer ? ((Buffer) buffer).limit() : 0;
    Recorder.exitOp(tr, Kind.OP_COPY, name, 0, bytes, null, null, null);
  }
}
