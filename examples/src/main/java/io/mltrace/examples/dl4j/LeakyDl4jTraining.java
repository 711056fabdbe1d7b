package io.mltrace.examples.dl4j;

import io.mltrace.examples.Args;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J MLP with a listener that, after each iteration, keeps one float array of known size, created outside
 * any workspace, in a list: a leak of detached ND4J memory that the leak finder must name with its creation line.
 *
 * <p>{@code --steps N --batch B --leak-bytes L}. Prints the leak's creation site
 * ({@code leak site Class.method(File:line)}) as the JVM names it, then {@code done}.
 */
public final class LeakyDl4jTraining {
  private LeakyDl4jTraining() {}

  public static void main(String[] args) {
    int steps = (int) Args.longValue(args, "--steps", 200);
    int batch = (int) Args.longValue(args, "--batch", 16);
    long leakBytes = Args.longValue(args, "--leak-bytes", 256 * 1024);
    MultiLayerNetwork net = new MultiLayerNetwork(Dl4jModels.config("mlp", 42));
    net.init();
    KeepOnePerIteration keeper = new KeepOnePerIteration(leakBytes / 4);
    net.setListeners(keeper);
    SyntheticIterator iterator = new SyntheticIterator(Dl4jModels.batches("mlp", steps, batch, 42), 0, false);
    net.fit(iterator);
    System.out.println("leak site " + KeepOnePerIteration.class.getName() + ".iterationDone(LeakyDl4jTraining.java:"
        + keeper.line + ")");
    System.out.println("done " + steps + " steps, " + keeper.kept.size() + " arrays kept");
  }

  /** Keeps one detached array per iteration. */
  static final class KeepOnePerIteration extends BaseTrainingListener {
    final List<INDArray> kept = new ArrayList<>();
    private final long floats;
    int line;

    KeepOnePerIteration(long floats) {
      this.floats = floats;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        kept.add(Nd4j.zeros(DataType.FLOAT, floats)); line = new Throwable().getStackTrace()[0].getLineNumber();
      }
    }
  }
}
