package io.mltrace.benchmarks.overhead;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.listeners.PerformanceListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.ProfilerConfig;

/**
 * The DL4J examples' models (as {@code Dl4jModels} in the examples, which are not on this module's compile path)
 * with each step timed by the job itself: one {@code MultiLayerNetwork.fit(DataSet)} per batch, which is one
 * {@code Solver.optimize}, the agent's DL4J step (forward, backward, updater, and the op, layer and workspace hooks
 * inside them). The batches are made before the loop, so no batch fetch is timed and the {@code DataSetIterator}
 * hooks are not exercised. {@code --model mlp} (the default): 784-128-10, ReLU, softmax, batch 64; {@code --model
 * cnn}: conv 3×3 of 4 filters with ReLU, 2×2 max pool, softmax output, on 12×12 images. Both SGD 0.05, float.
 * Output as {@link StepTimeJob}'s; same options but {@code --hidden}. Two of DL4J's own profilers, as a user turns
 * them on: {@code --op-profiler true} ({@code OpProfiler} through {@code ProfilerConfig} with elapsed times; its
 * dashboard is logged at the end) and {@code --performance-listener true} ({@code PerformanceListener} reporting
 * every iteration).
 */
public final class Dl4jStepTimeJob {
  private static final int INPUTS = 784;
  private static final int CLASSES = 10;
  private static final int CNN_SIDE = 12;

  private Dl4jStepTimeJob() {}

  public static void main(String[] args) throws Exception {
    String model = Args.stringArg(args, "--model", "mlp");
    int steps = Args.intArg(args, "--steps", 600);
    int warmup = Args.intArg(args, "--warmup", 100);
    int batch = Args.intArg(args, "--batch", 64);
    int hidden = Args.intArg(args, "--hidden", 128);
    int seed = Args.intArg(args, "--seed", 42);
    int dataBatches = Args.intArg(args, "--data-batches", Math.min(steps, 600));
    boolean opProfiler = Boolean.parseBoolean(Args.stringArg(args, "--op-profiler", "false"));
    boolean performanceListener = Boolean.parseBoolean(Args.stringArg(args, "--performance-listener", "false"));
    StepGate gate = StepGate.fromArgs(args, steps);
    StepTimes times = new StepTimes();

    List<DataSet> batches = batches(model, dataBatches, batch, seed);
    MultiLayerNetwork net = new MultiLayerNetwork(network(model, seed, hidden));
    net.init();
    if (performanceListener) {
      net.setListeners(new PerformanceListener(1, true));
    }
    if (opProfiler) {
      Nd4j.getExecutioner().setProfilingConfig(ProfilerConfig.builder().checkElapsedTime(true).build());
    }
    gate.ready();
    for (int i = 0; gate.awaitTurn(i); i++) {
      long t0 = System.nanoTime();
      net.fit(batches.get(i % batches.size()));
      long ns = System.nanoTime() - t0;
      times.add(ns);
      gate.stepDone(ns);
    }
    if (opProfiler) {
      OpProfiler.getInstance().printOutDashboard();
    }
    System.out.println(times.summary(warmup));
    gate.finished(0);
  }

  private static org.deeplearning4j.nn.conf.MultiLayerConfiguration network(String model, int seed, int hidden) {
    NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER)
        .updater(new Sgd(0.05))
        .list();
    switch (model) {
      case "mlp":
        return list
            .layer(new DenseLayer.Builder().nIn(INPUTS).nOut(hidden).activation(Activation.RELU).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .build();
      case "cnn":
        return list
            .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(4).activation(Activation.RELU).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .setInputType(InputType.convolutional(CNN_SIDE, CNN_SIDE, 1))
            .build();
      default:
        throw new IllegalArgumentException("unknown model '" + model + "' (mlp, cnn)");
    }
  }

  /** Random inputs labelled by the arg-max of a fixed random projection, so the loss falls as the net learns. */
  private static List<DataSet> batches(String model, int count, int batch, long seed) {
    Nd4j.getRandom().setSeed(seed);
    int inputs = model.equals("cnn") ? CNN_SIDE * CNN_SIDE : INPUTS;
    INDArray projection = Nd4j.rand(DataType.FLOAT, inputs, CLASSES).subi(0.5);
    List<DataSet> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      INDArray x = Nd4j.randn(DataType.FLOAT, batch, inputs);
      INDArray argMax = Nd4j.argMax(x.mmul(projection), 1);
      INDArray oneHot = Nd4j.zeros(DataType.FLOAT, batch, CLASSES);
      for (int r = 0; r < batch; r++) {
        oneHot.putScalar(r, argMax.getInt(r), 1f);
      }
      out.add(new DataSet(model.equals("cnn") ? x.reshape(batch, 1, CNN_SIDE, CNN_SIDE) : x, oneHot));
    }
    return out;
  }
}
