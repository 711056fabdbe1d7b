package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * The single-batch {@code fit} that every {@code fit(DataSet)}, {@code fit(MultiDataSet)} and
 * {@code fit(INDArray, INDArray)} ends in ({@code MultiLayerNetwork.fit(INDArray x4)},
 * {@code ComputationGraph.fit(INDArray[] x4)}): a phase of the step, which it opens in a loop that the user wrote
 * (load a batch, call {@code fit}). The time between two such calls, the user's own batch loading, is the next
 * step's input gap ({@code data}).
 */
final class FitBatchAdvice {
  private FitBatchAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter() {
    return Recorder.enterStepPart();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr) {
    Recorder.exitSpan(tr, Kind.PHASE, "fit");
  }
}
