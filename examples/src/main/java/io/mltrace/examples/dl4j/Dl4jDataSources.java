package io.mltrace.examples.dl4j;

import io.mltrace.examples.Args;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The DL4J MLP fed from one kind of data source ({@code --source}):
 * <ul>
 *   <li>{@code iterator}: {@code fit(DataSetIterator)} over an iterator whose {@code next()} is slowed;</li>
 *   <li>{@code async}: the same, with DL4J prefetching batches on its own thread ({@code asyncSupported});</li>
 *   <li>{@code loop}: the user's own loop: load a batch in plain code, then {@code fit(DataSet)}.</li>
 * </ul>
 * Every batch costs {@code --data-sleep-ms} of sleeping (plus {@code --extra-sleep-ms}), then
 * {@code --data-spin-ms} of computing, in the loading code. Ground truth, printed per step as
 * {@code datatruth step N ns X}: for {@code iterator} and {@code loop} the loading time the job measured around its
 * own code; for {@code async}, how long the training thread can have waited for batch N,
 * {@code max(0, ready(N) - done(N-1))}, from the time the prefetch thread finished batch N and the time iteration
 * N-1 ended (a listener). Then {@code final loss <value> after <n> steps}. {@code --steps N --seed S}.
 *
 * <p>{@code --validate-every N --validate-batches M} (loop only): before every N-th step after the first, a
 * validation pass as a loop that calls {@code fit(DataSet)} writes one: {@code evaluate} over an iterator of M
 * batches, then {@code score} of each. The job prints the time of those calls, {@code valtruth step N ns X calls C}.
 * With {@code --validate-metrics true} the pass also runs each batch through {@code output} and counts its accuracy
 * in an {@code Evaluation} ({@code eval(labels, output)}), as a loop that reports its own metrics does.
 *
 * <p>{@code --checkpoint-every N} (loop only): before every N-th step after the first (after a validation pass due
 * then), the loop saves a checkpoint, {@code net.save(file, true)}, and prints its time,
 * {@code savetruth step N ns X calls 1}.
 */
public final class Dl4jDataSources {
  private Dl4jDataSources() {}

  /** The loading code's known extra cost. */
  static void pay(long sleepMillis, long spinMillis) {
    try {
      TimeUnit.MILLISECONDS.sleep(sleepMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(spinMillis);
    long x = 17;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 500; i++) {
        x = x * 6364136223846793005L + 1442695040888963407L;
      }
    }
    if (x == 42) {
      System.out.print("");
    }
  }

  /** Where the checkpoints go: one file, overwritten by each save, deleted at the end. */
  private static File checkpointFile() {
    try {
      File f = File.createTempFile("dl4j-checkpoint", ".zip");
      f.deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void save(MultiLayerNetwork net, File file) {
    try {
      net.save(file, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A batch as a loader builds it: fresh (off-heap) arrays. */
  static DataSet copyOf(DataSet batch) {
    return new DataSet(batch.getFeatures().dup(), batch.getLabels().dup());
  }

  public static void main(String[] args) {
    String source = Args.string(args, "--source", "iterator");
    int steps = (int) Args.longValue(args, "--steps", 40);
    long seed = Args.longValue(args, "--seed", 42);
    long sleepMs = Args.longValue(args, "--data-sleep-ms", 0) + Args.longValue(args, "--extra-sleep-ms", 0);
    long spinMs = Args.longValue(args, "--data-spin-ms", 0);
    List<DataSet> batches = Dl4jModels.batches("mlp", steps, 64, seed);
    MultiLayerNetwork net = new MultiLayerNetwork(Dl4jModels.config("mlp", seed));
    net.init();
    long[] done = new long[steps + 1];
    long[] ready = new long[steps + 1];
    int[] iteration = {0};
    net.setListeners(new BaseTrainingListener() {
      @Override
      public void iterationDone(Model model, int iter, int epoch) {
        done[Math.min(++iteration[0], steps)] = System.nanoTime();
      }
    });
    long[] truth = new long[steps + 1];
    int validateEvery = (int) Args.longValue(args, "--validate-every", 0);
    List<DataSet> validation = validateEvery > 0
        ? Dl4jModels.batches("mlp", (int) Args.longValue(args, "--validate-batches", 1), 64, seed + 2) : List.of();
    boolean metrics = Boolean.parseBoolean(Args.string(args, "--validate-metrics", "false"));
    StringBuilder passes = new StringBuilder();
    int checkpointEvery = (int) Args.longValue(args, "--checkpoint-every", 0);
    File checkpoint = checkpointEvery > 0 ? checkpointFile() : null;
    if (source.equals("loop")) {
      for (int step = 1; step <= steps; step++) {
        long passEnd = 0;
        if (validateEvery > 0 && step > 1 && (step - 1) % validateEvery == 0) {
          ListDataSetIterator<DataSet> iterator = new ListDataSetIterator<>(validation, 64);
          long v0 = System.nanoTime();
          net.evaluate(iterator);
          for (DataSet batch : validation) {
            net.score(batch);
          }
          if (metrics) {
            Evaluation evaluation = new Evaluation();
            for (DataSet batch : validation) {
              evaluation.eval(batch.getLabels(), net.output(batch.getFeatures(), false));
            }
          }
          passEnd = System.nanoTime();
          // Printed after training: a print here would be the loop's own code before the next step's loading.
          passes.append("valtruth step ").append(step).append(" ns ").append(passEnd - v0)
              .append(" calls ").append(1 + (metrics ? 3 : 1) * validation.size()).append('\n');
        }
        if (checkpointEvery > 0 && step > 1 && (step - 1) % checkpointEvery == 0) {
          long s0 = System.nanoTime();
          save(net, checkpoint);
          passEnd = System.nanoTime();
          passes.append("savetruth step ").append(step).append(" ns ").append(passEnd - s0).append(" calls 1\n");
        }
        long t0 = System.nanoTime();
        pay(sleepMs, spinMs);
        DataSet batch = copyOf(batches.get(step - 1));
        // After a pass the step opens where its last call returned: the loop's code since is input time too.
        truth[step] = System.nanoTime() - (passEnd != 0 ? passEnd : t0);
        net.fit(batch);
      }
    } else {
      boolean async = source.equals("async");
      List<DataSet> copies = new ArrayList<>(batches);
      SyntheticIterator iterator = new SyntheticIterator(copies, 0, async) {
        private int served;

        @Override
        public DataSet next() {
          long t0 = System.nanoTime();
          pay(sleepMs, spinMs);
          DataSet batch = copyOf(super.next());
          ready[++served] = System.nanoTime();
          if (!async) {
            truth[served] = ready[served] - t0;
          }
          return batch;
        }
      };
      net.fit(iterator);
      if (async) {
        for (int step = 2; step <= steps; step++) {
          truth[step] = Math.max(0, ready[step] - done[step - 1]);
        }
      }
    }
    if (checkpoint != null) {
      checkpoint.delete();
    }
    System.out.print(passes);
    for (int step = 1; step <= steps; step++) {
      System.out.println("datatruth step " + step + " ns " + truth[step]);
    }
    double loss = net.score(batches.get(0));
    System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps", loss, steps));
  }
}
