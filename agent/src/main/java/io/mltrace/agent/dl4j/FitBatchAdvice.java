package io.mltrace.agent.dl4j;

import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * The single-batch {@code fit} that every {@code fit(DataSet)}, {@code fit(MultiDataSet)} and
 * {@code fit(INDArray, INDArray)} ends in ({@code MultiLayerNetwork.fit(INDArray x4)},
 * {@code ComputationGraph.fit(INDArray[] x4)}): a phase that opens the step in a loop the user wrote (load a batch,
 * call {@code fit}) and, wrapping {@code Solver.optimize}, ends it. The time between two such calls, the user's own
 * batch loading, is the next step's input gap ({@code data}). A graph's {@code fit(iterator)} calls it per batch
 * too.
 */
final class FitBatchAdvice {
  private FitBatchAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    return HookHealth.isOff(hook) ? null : Recorder.enterStepEnd();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitStepEnd(tr, "fit");
  }
}
