package io.mltrace.examples.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.stats.EventStats;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * Trains a small MLP on synthetic data with {@link ParameterAveragingTrainingMaster} (by default): the driver makes {@code
 * batches} minibatches of {@code batch} examples, DL4J splits them over the workers, each worker fits its
 * partition's minibatches ({@code MultiLayerNetwork.fit(DataSet)}, one iteration each) and the driver averages
 * the parameters every {@code averaging} minibatches.
 *
 * <p>Arguments: {@code batches=N batch=N averaging=N epochs=N workers=N stats=FILE master=averaging|shared
 * port=N}. The cluster comes from spark-submit. With {@code stats}, DL4J's own {@link SparkTrainingStats} (its
 * per-worker fit events) are written there, one line per fit: {@code key jvm_id machine_id start_ms duration_ms},
 * which the test compares with the agent's steps. {@code master=shared} trains by gradient sharing instead
 * ({@code SharedTrainingMaster}, Aeron on UDP {@code port}); DL4J keeps no stats for it. {@code slow-executor=ID
 * slow-ms=N} makes one executor a straggler (parameter averaging): it sleeps N ms before each of its fits, in the
 * step's input gap, as a slow data source would.
 */
public final class SparkMlp {
  static final int IN = 64;
  static final int HIDDEN = 32;
  static final int CLASSES = 4;

  private SparkMlp() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new TreeMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("arguments are key=value: " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int batches = Integer.parseInt(a.getOrDefault("batches", "40"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "16"));
    int averaging = Integer.parseInt(a.getOrDefault("averaging", "5"));
    int epochs = Integer.parseInt(a.getOrDefault("epochs", "1"));
    int workers = Integer.parseInt(a.getOrDefault("workers", "2"));
    String statsFile = a.getOrDefault("stats", "");

    SparkConf conf = new SparkConf().setAppName("mltrace-dl4j-spark-mlp");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      JavaRDD<DataSet> data = sc.parallelize(syntheticBatches(batches, batch, 7), workers);
      boolean shared = a.getOrDefault("master", "averaging").equals("shared");
      TrainingMaster<?, ?> master = shared
          ? sharedTrainingMaster(batch, Integer.parseInt(a.getOrDefault("port", "40123")))
          : new ParameterAveragingTrainingMaster.Builder(batch)
              .batchSizePerWorker(batch)
              .averagingFrequency(averaging)
              .workerPrefetchNumBatches(0) // fit on the task's own thread, as the agent's step sees it
              .rddTrainingApproach(RDDTrainingApproach.Direct) // no export to files: the RDD's DataSets go to workers
              .collectTrainingStats(true)
              .trainingHooks(new SlowExecutor(a.getOrDefault("slow-executor", ""),
                  Long.parseLong(a.getOrDefault("slow-ms", "0"))))
              .build();
      SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, network(), master);
      // Gradient sharing collects no SparkTrainingStats (asking for them fails its fit with a NullPointerException).
      net.setCollectTrainingStats(!shared);
      for (int e = 0; e < epochs; e++) {
        net.fit(data);
      }
      if (!statsFile.isEmpty()) {
        writeFitEvents(net.getSparkTrainingStats(), Paths.get(statsFile));
      }
      System.out.println("spark-mlp: trained " + batches + " batches x " + epochs + " epochs, score "
          + net.getScore());
    }
  }

  /** Gradient sharing: workers exchange thresholded, encoded updates over Aeron (UDP) with the driver as root. */
  static TrainingMaster<?, ?> sharedTrainingMaster(int batch, int port) {
    VoidConfiguration transport = VoidConfiguration.builder()
        .unicastPort(port)
        .controllerAddress("127.0.0.1")
        .build();
    return new SharedTrainingMaster.Builder(transport, batch)
        .batchSizePerWorker(batch)
        .workersPerNode(1)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .build();
  }

  static MultiLayerConfiguration network() {
    return new NeuralNetConfiguration.Builder()
        .seed(42)
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER)
        .updater(new Sgd(0.05))
        .list()
        .layer(new DenseLayer.Builder().nIn(IN).nOut(HIDDEN).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(HIDDEN).nOut(CLASSES)
            .activation(Activation.SOFTMAX).build())
        .build();
  }

  /** Learnable data: the label is the arg-max of a fixed random projection of the input. */
  static List<DataSet> syntheticBatches(int batches, int batch, long seed) {
    Random random = new Random(seed);
    float[][] projection = new float[IN][CLASSES];
    for (float[] row : projection) {
      for (int c = 0; c < CLASSES; c++) {
        row[c] = (float) random.nextGaussian();
      }
    }
    List<DataSet> out = new ArrayList<>(batches);
    for (int b = 0; b < batches; b++) {
      float[][] x = new float[batch][IN];
      float[][] y = new float[batch][CLASSES];
      for (int i = 0; i < batch; i++) {
        float[] score = new float[CLASSES];
        for (int j = 0; j < IN; j++) {
          x[i][j] = (float) random.nextGaussian();
          for (int c = 0; c < CLASSES; c++) {
            score[c] += x[i][j] * projection[j][c];
          }
        }
        int best = 0;
        for (int c = 1; c < CLASSES; c++) {
          best = score[c] > score[best] ? c : best;
        }
        y[i][best] = 1;
      }
      INDArray features = Nd4j.createFromArray(x);
      INDArray labels = Nd4j.createFromArray(y);
      out.add(new DataSet(features, labels));
    }
    return out;
  }

  /** DL4J's worker fit events, one line each; the file is written whole or not at all. */
  private static void writeFitEvents(SparkTrainingStats stats, Path file) throws IOException {
    StringBuilder lines = new StringBuilder();
    if (stats != null) {
      for (String key : stats.getKeySet()) {
        if (!key.endsWith("WorkerFitTimesMs") && !key.equals("ParameterAveragingWorkerFitTimesMs")) {
          continue;
        }
        for (EventStats e : stats.getValue(key)) {
          lines.append(key).append(' ').append(e.getJvmID()).append(' ').append(e.getMachineID()).append(' ')
              .append(e.getStartTime()).append(' ').append(e.getDurationMs()).append('\n');
        }
      }
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, lines.toString().getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }


  /** Sleeps before each fit on one executor: a straggler whose data is slow. */
  static final class SlowExecutor implements org.deeplearning4j.spark.api.TrainingHook {
    private static final long serialVersionUID = 1L;
    private final String executorId;
    private final long millis;

    SlowExecutor(String executorId, long millis) {
      this.executorId = executorId;
      this.millis = millis;
    }

    private void maybeSleep() {
      org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
      if (millis > 0 && env != null && executorId.equals(env.executorId())) {
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void preUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
      maybeSleep();
    }

    @Override
    public void postUpdate(org.nd4j.linalg.dataset.api.DataSet minibatch, org.deeplearning4j.nn.api.Model model) {
    }

    @Override
    public void preUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch, org.deeplearning4j.nn.api.Model model) {
      maybeSleep();
    }

    @Override
    public void postUpdate(org.nd4j.linalg.dataset.api.MultiDataSet minibatch,
        org.deeplearning4j.nn.api.Model model) {
    }
  }
}
