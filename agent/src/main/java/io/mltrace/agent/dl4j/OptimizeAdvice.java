package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.StepIteration;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code Solver.optimize(LayerWorkspaceMgr)}: one training iteration (forward, backward, updater). Its end closes
 * the step (the memory levels, off-heap and workspace bytes, are read then: {@code Dl4jMemory}'s gauges) and opens
 * the next. Its start notes the network's iteration count on the step ({@code Dl4jIteration}).
 */
final class OptimizeAdvice {
  private OptimizeAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @Advice.This Object solver) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    ThreadRecorder tr = Recorder.enterStepEnd();
    StepIteration.note(tr, solver); // the network's iteration count, before optimize increments it
    return tr;
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.This Object solver) {
    if (tr != null) {
      ModelMemory.stepEnding(solver); // every so many steps: parameters, gradients, updater state
    }
    Recorder.exitStepEnd(tr, "optimize");
  }
}
