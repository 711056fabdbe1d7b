package io.mltrace.benchmarks.overhead;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The DL4J example's MLP (784-128-10, ReLU, softmax, batch 64, SGD 0.05, float; as {@code Dl4jModels} in the
 * examples, which are not on this module's compile path) with each step timed by the job itself: one
 * {@code MultiLayerNetwork.fit(DataSet)} per batch, which is one {@code Solver.optimize}, the agent's DL4J step
 * (forward, backward, updater, and the op, layer and workspace hooks inside them). The batches are made before the
 * loop, so no batch fetch is timed and the {@code DataSetIterator} hooks are not exercised. Output as
 * {@link StepTimeJob}'s; same options but {@code --hidden}.
 */
public final class Dl4jStepTimeJob {
  private static final int INPUTS = 784;
  private static final int CLASSES = 10;

  private Dl4jStepTimeJob() {}

  public static void main(String[] args) throws Exception {
    int steps = Args.intArg(args, "--steps", 600);
    int warmup = Args.intArg(args, "--warmup", 100);
    int batch = Args.intArg(args, "--batch", 64);
    int hidden = Args.intArg(args, "--hidden", 128);
    int seed = Args.intArg(args, "--seed", 42);
    int dataBatches = Args.intArg(args, "--data-batches", Math.min(steps, 600));
    StepGate gate = StepGate.fromArgs(args, steps);
    StepTimes times = new StepTimes();

    List<DataSet> batches = batches(dataBatches, batch, seed);
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER)
        .updater(new Sgd(0.05))
        .list()
        .layer(new DenseLayer.Builder().nIn(INPUTS).nOut(hidden).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(CLASSES)
            .activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    gate.ready();
    for (int i = 0; gate.awaitTurn(i); i++) {
      long t0 = System.nanoTime();
      net.fit(batches.get(i % batches.size()));
      long ns = System.nanoTime() - t0;
      times.add(ns);
      gate.stepDone(ns);
    }
    System.out.println(times.summary(warmup));
  }

  /** Random inputs labelled by the arg-max of a fixed random projection, so the loss falls as the net learns. */
  private static List<DataSet> batches(int count, int batch, long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray projection = Nd4j.rand(DataType.FLOAT, INPUTS, CLASSES).subi(0.5);
    List<DataSet> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      INDArray x = Nd4j.randn(DataType.FLOAT, batch, INPUTS);
      INDArray argMax = Nd4j.argMax(x.mmul(projection), 1);
      INDArray oneHot = Nd4j.zeros(DataType.FLOAT, batch, CLASSES);
      for (int r = 0; r < batch; r++) {
        oneHot.putScalar(r, argMax.getInt(r), 1f);
      }
      out.add(new DataSet(x, oneHot));
    }
    return out;
  }
}
