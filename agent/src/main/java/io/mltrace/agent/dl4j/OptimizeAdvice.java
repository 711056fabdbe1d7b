package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Slots;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.bytedeco.javacpp.Pointer;

/**
 * {@code Solver.optimize(LayerWorkspaceMgr)}: one training iteration (forward, backward, updater). Its end closes
 * the step, with the process's resident memory (JavaCPP's {@code Pointer.physicalBytes}) as a step attribute,
 * and opens the next.
 */
final class OptimizeAdvice {
  private OptimizeAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterStepEnd();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    try {
      if (tr != null) { // a native call (about 0.6 us): not when recording is off
        Recorder.setStepAttribute(tr, Slots.ATTR_RSS_BYTES, Pointer.physicalBytes());
      }
    } catch (Throwable ignored) {
      // The attribute is optional; the step is still closed below.
    }
    Recorder.exitStepEnd(tr, "optimize");
  }
}
