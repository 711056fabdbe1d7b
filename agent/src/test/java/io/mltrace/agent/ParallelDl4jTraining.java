package io.mltrace.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A child-JVM job for {@link ManyThreadsIT}: {@code THREADS} threads, each training its own small Deeplearning4j
 * MLP over {@code BATCHES} batches with {@code fit(DataSetIterator)}, all at once (they start together at a
 * barrier). Prints {@code thread <name> batches <n>} per thread and {@code parallel training done}. (DJL cannot be
 * the job: its PyTorch engine allows one gradient collector in the process at a time.)
 */
public final class ParallelDl4jTraining {
  private ParallelDl4jTraining() {}

  public static void main(String[] args) throws Exception {
    int threads = Integer.parseInt(args[0]);
    int batches = Integer.parseInt(args[1]);
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread w = new Thread(() -> {
        try {
          train(seed, batches, start);
          System.out.println("thread " + Thread.currentThread().getName() + " batches " + batches);
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      }, "trainer-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    if (!failures.isEmpty()) {
      failures.get(0).printStackTrace();
      System.exit(1);
    }
    System.out.println("parallel training done");
  }

  private static void train(int seed, int batches, CyclicBarrier start) throws Exception {
    int inputs = 32;
    int classes = 4;
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(seed)
        .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Sgd(0.05)).list()
        .layer(new DenseLayer.Builder().nIn(inputs).nOut(16).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(classes)
            .activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    int rows = batches * 16;
    INDArray x = Nd4j.rand(DataType.FLOAT, rows, inputs);
    INDArray y = Nd4j.zeros(DataType.FLOAT, rows, classes);
    for (int r = 0; r < rows; r++) {
      y.putScalar(r, r % classes, 1f);
    }
    start.await();
    net.fit(new ViewIterator(new DataSet(x, y), 16)); // batches of 16 rows: one step each
  }
}
