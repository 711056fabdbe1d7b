package io.mltrace.examples.dl4j;

import io.mltrace.examples.Args;
import io.mltrace.examples.StopFile;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Trains one of the example networks ({@code --model mlp|cnn|lenet|lstm}) with {@code MultiLayerNetwork.fit} over a
 * data set iterator, then runs inference with {@code output(...)}.
 *
 * <p>{@code --steps N --batch B --epochs E --sleep-us S --async true|false --outputs K --graph true|false --seed S --updater sgd|adam}:
 * N batches per
 * epoch, the iterator sleeping S µs per batch ({@code --async true} lets DL4J prefetch them on another thread),
 * then K calls of {@code output}; {@code --graph true} trains the same network as a {@code ComputationGraph}.
 * {@code --gc-steps 4,8 --listener-busy-ms M} add a listener that forces a GC after those steps and
 * spins M ms after every step (injected ground truth for the accounting tests). {@code --keep-kb-per-step K
 * --allocate-at-step S --allocate-kb A --detached-kb-per-step D --report-workspaces true} add a listener that keeps
 * K KiB of heap per step, allocates A KiB once in step S, creates (and closes) a D KiB ND4J array outside any
 * workspace in every step, and prints ND4J's workspace sizes after each step (memory ground truth).
 * {@code --stop-file F} ends training after an epoch once told ({@link StopFile}).
 * Prints {@code final loss <value> after <n> steps} at the end, and the time the iterator measured inside its
 * own {@code next()} ({@code iterator next() ns <n>}).
 */
public final class Dl4jTraining {
  private Dl4jTraining() {}

  public static void main(String[] args) {
    String model = Args.string(args, "--model", "mlp");
    int steps = (int) Args.longValue(args, "--steps", 20);
    int batch = (int) Args.longValue(args, "--batch", model.equals("lstm") ? 16 : 64);
    int epochs = (int) Args.longValue(args, "--epochs", 1);
    long sleepMicros = Args.longValue(args, "--sleep-us", 0);
    boolean async = Boolean.parseBoolean(Args.string(args, "--async", "false"));
    int outputs = (int) Args.longValue(args, "--outputs", 1);
    long seed = Args.longValue(args, "--seed", 42);
    boolean graph = Boolean.parseBoolean(Args.string(args, "--graph", "false"));

    List<DataSet> batches = Dl4jModels.batches(model, steps, batch, seed);
    MultiLayerConfiguration config = Args.string(args, "--updater", "sgd").equals("adam")
        ? Dl4jModels.config(model, seed, new org.nd4j.linalg.learning.config.Adam(1e-3))
        : Dl4jModels.config(model, seed);
    MultiLayerNetwork net = new MultiLayerNetwork(config);
    net.init();
    // Injected ground truth for the accounting tests: a forced GC after chosen steps, a listener that spins.
    java.util.Set<Integer> gcSteps = new java.util.HashSet<>();
    for (String s : Args.string(args, "--gc-steps", "").split(",")) {
      if (!s.isBlank()) {
        gcSteps.add(Integer.parseInt(s.trim()));
      }
    }
    long busyMillis = Args.longValue(args, "--listener-busy-ms", 0);
    List<org.deeplearning4j.optimize.api.TrainingListener> listeners = new java.util.ArrayList<>();
    if (!gcSteps.isEmpty() || busyMillis > 0) {
      listeners.add(new io.mltrace.examples.groundtruth.Dl4jGroundTruthListener(gcSteps, busyMillis));
    }
    long keepKb = Args.longValue(args, "--keep-kb-per-step", 0);
    int allocateStep = (int) Args.longValue(args, "--allocate-at-step", 0);
    int allocateKb = (int) Args.longValue(args, "--allocate-kb", 0);
    long detachedKb = Args.longValue(args, "--detached-kb-per-step", 0);
    boolean reportWorkspaces = Boolean.parseBoolean(Args.string(args, "--report-workspaces", "false"));
    if (keepKb > 0 || allocateStep > 0 || detachedKb > 0 || reportWorkspaces) {
      listeners.add(new io.mltrace.examples.groundtruth.Dl4jMemoryListener(keepKb * 1024, allocateStep,
          allocateKb * 1024, detachedKb * 1024, reportWorkspaces));
    }
    if (!listeners.isEmpty()) {
      net.setListeners(listeners);
    }
    // The same network as a ComputationGraph, trained through the graph's own fit and output.
    ComputationGraph cg = graph ? net.toComputationGraph() : null;
    SyntheticIterator iterator = new SyntheticIterator(batches, sleepMicros, async);
    StopFile stop = StopFile.of(args);
    int epochsDone = 0;
    while (epochsDone < epochs) {
      iterator.reset();
      if (graph) {
        cg.fit(iterator);
      } else {
        net.fit(iterator);
      }
      epochsDone++;
      if (stop.reached((long) steps * epochsDone)) {
        break;
      }
    }
    DataSet first = batches.get(0);
    INDArray predicted = null;
    for (int i = 0; i < outputs; i++) {
      predicted = graph ? cg.outputSingle(first.getFeatures()) : net.output(first.getFeatures());
    }
    double loss = graph ? cg.score(first) : net.score(first);
    System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps%s", loss, steps * epochsDone,
        predicted == null ? "" : ", output " + Arrays.toString(predicted.shape())));
    System.out.println("iterator next() ns " + iterator.nanosInNext());
  }


}
