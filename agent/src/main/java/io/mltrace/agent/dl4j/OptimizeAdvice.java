package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.StepIteration;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code Solver.optimize(LayerWorkspaceMgr)}: one training iteration (forward, backward, updater). Its end closes
 * the step (the memory levels, off-heap and workspace bytes, are read then: {@code Dl4jMemory}'s gauges) and opens
 * the next. Its start notes the network's iteration count on the step (read by the advice for DL4J's two networks,
 * by {@code Dl4jIteration} for any other model).
 */
final class OptimizeAdvice {
  private OptimizeAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook, @Advice.This Object solver,
      @Advice.FieldValue("model") Model model) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    ThreadRecorder tr = Recorder.enterStepEnd();
    // The network's iteration count, before optimize increments it: read here, a plain call in DL4J's own class;
    // any other model is left to Dl4jIteration's handles.
    long iteration = model instanceof MultiLayerNetwork ? ((MultiLayerNetwork) model).getIterationCount()
        : model instanceof ComputationGraph ? ((ComputationGraph) model).getIterationCount() : -1;
    StepIteration.note(tr, solver, iteration);
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
