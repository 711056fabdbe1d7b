package io.mltrace.agent.cluster;

import io.mltrace.agent.custom.CustomSpans;

/**
 * The phases of a Deeplearning4j job on Spark that are not training steps, as spans of category {@code framework}
 * (issue 17). On an executor: getting the broadcast model ({@code getInitialModel}), returning the result for the
 * averaging ({@code getFinalResult}), and under gradient sharing the encoding and sending of each update and the
 * applying of the others' ({@code EncodedGradientsAccumulator.storeUpdate}, {@code applyUpdate}, inside the steps).
 * On the driver: the whole training call, each split's round ({@code doIteration}), the split itself
 * ({@code getSplitRDDs}), the broadcast of the parameters ({@code JavaSparkContext.broadcast}) and the aggregation
 * of the workers' results ({@code processResults}: parameter averaging's {@code treeAggregate}).
 *
 * <p>Why only these: a span open on a thread keeps the steps inside it from opening (a step opens at the thread's
 * outermost level), so nothing that encloses a worker's fits is hooked ({@code processMinibatch}, the partition's
 * flat map): the fits stay steps, and the spans above sit between them. Outside steps they reach {@code trace.json}
 * as spans of their own, on the executors and on the driver.
 */
public final class SparkPhases {
  static final String PARAM_AVG = "org.deeplearning4j.spark.impl.paramavg.";
  static final String SHARED = "org.deeplearning4j.spark.parameterserver.training.";
  static final String ENTRIES = String.join(";",
      PARAM_AVG + "ParameterAveragingTrainingWorker#getInitialModel*:framework",
      PARAM_AVG + "ParameterAveragingTrainingWorker#getFinalResult*:framework",
      SHARED + "SharedTrainingWorker#getInitialModel*:framework",
      "org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator#storeUpdate:framework",
      "org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator#applyUpdate:framework",
      PARAM_AVG + "ParameterAveragingTrainingMaster#executeTraining*:framework",
      PARAM_AVG + "ParameterAveragingTrainingMaster#doIteration*:framework",
      PARAM_AVG + "ParameterAveragingTrainingMaster#getSplitRDDs:framework",
      PARAM_AVG + "ParameterAveragingTrainingMaster#processResults:framework",
      SHARED + "SharedTrainingMaster#executeTraining*:framework",
      SHARED + "SharedTrainingMaster#doIteration*:framework",
      SHARED + "SharedTrainingMaster#processResults:framework",
      "org.apache.spark.api.java.JavaSparkContext#broadcast:framework");

  private SparkPhases() {}

  /** The hooks, as a framework of its own ({@code spark}). */
  public static CustomSpans instrumentation() {
    return CustomSpans.builtIn("spark", ENTRIES);
  }
}
