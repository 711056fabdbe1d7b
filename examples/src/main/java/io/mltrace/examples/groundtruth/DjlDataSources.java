package io.mltrace.examples.groundtruth;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import ai.djl.util.Progress;
import io.mltrace.examples.Args;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.stream.Stream;

/**
 * One DJL model ({@code --model mlp|cnn|lstm}) fed from one kind of data source ({@code --source}):
 * <ul>
 *   <li>{@code iterable}: an {@code ArrayDataset} (DJL's {@code DataIterable}) whose batch fetch is slowed;</li>
 *   <li>{@code dataset}: the job's own {@link Dataset}, whose {@code getData} returns its own streaming
 *       {@code Iterable} (not built on {@code RandomAccessDataset}), through {@code Trainer.iterateDataset};</li>
 *   <li>{@code loop}: a hand-written loop that builds each batch in its own code and calls forward, backward and
 *       {@code Trainer.step} itself.</li>
 * </ul>
 * Every batch costs a known extra time in the loading code: {@code --data-sleep-ms} of sleeping, then
 * {@code --data-spin-ms} of computing on the CPU. The job measures its own loading around each fetch (and the
 * release of the previous batch) and prints it per step ({@code datatruth step N ns X}), then
 * {@code final loss <value> after <n> steps}. {@code --steps N --seed S}.
 *
 * <p>{@code --accumulate K} (loop only): gradient accumulation, K micro-batches a step, each loaded (with the
 * delay) and run forward and backward, then one optimizer step; the step's truth is the loading of all K.
 *
 * <p>{@code --validate-every N --validate-batches M} (loop only): before every N-th step after the first, a
 * validation pass as a hand-written loop writes one: M batches, each {@code Trainer.evaluate} and the loss on its
 * output. The job prints the time of those calls, {@code valtruth step N ns X calls C} (the pass before step N). With
 * {@code --validate-metrics true} the trainer has an {@code Accuracy} evaluator, and each validation batch also updates
 * every evaluator's accumulator ({@code Evaluator.updateAccumulator}), as a loop that reports validation accuracy
 * does; that call is in the pass's truth.
 *
 * <p>{@code --checkpoint-every N} (loop only): before every N-th step after the first (after a validation pass due
 * then), the loop saves a checkpoint, {@code Model.save}, and prints its time, {@code savetruth step N ns X calls 1}.
 * With {@code --checkpoint-inside true} it saves inside those steps instead, between the backward pass and
 * {@code Trainer.step}, and prints {@code stepsave step N ns X}.
 */
public final class DjlDataSources {
  private static final int BATCH = 32;
  /**
   * The per-step truth, printed after training: printing inside the loop would be the loop's own work between two
   * iterations, which the agent rightly counts as the next step's input time.
   */
  private static final StringBuilder TRUTH = new StringBuilder();

  private DjlDataSources() {}

  /** The shapes of one model's inputs and labels, and the model. */
  private static final class Spec {
    final Shape input;
    final int classes;
    final Block block;
    final Loss loss;

    Spec(Shape input, int classes, Block block, Loss loss) {
      this.input = input;
      this.classes = classes;
      this.block = block;
      this.loss = loss;
    }
  }

  private static Spec spec(String model) {
    switch (model) {
      case "mlp":
        return new Spec(new Shape(784), 10, new SequentialBlock()
            .add(Linear.builder().setUnits(128).build())
            .add(Activation::relu)
            .add(Linear.builder().setUnits(10).build()), Loss.softmaxCrossEntropyLoss());
      case "cnn":
        return new Spec(new Shape(1, 28, 28), 10, new SequentialBlock()
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build())
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(2, 2)))
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(10).build()), Loss.softmaxCrossEntropyLoss());
      case "lstm":
        return new Spec(new Shape(12, 16), 0, new SequentialBlock()
            .add(LSTM.builder().setStateSize(32).setNumLayers(2).optBatchFirst(true).optReturnState(false).build())
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(1).build()), Loss.l2Loss());
      default:
        throw new IllegalArgumentException("--model must be mlp, cnn or lstm");
    }
  }

  /** The loading code's known extra cost: a sleep, then CPU work in this frame. */
  static final class Delay {
    private final long sleepMillis;
    private final long spinNanos;
    private long sink;

    Delay(long sleepMillis, long spinMillis) {
      this.sleepMillis = sleepMillis;
      this.spinNanos = spinMillis * 1_000_000L;
    }

    void pay() {
      try {
        Thread.sleep(sleepMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long end = System.nanoTime() + spinNanos;
      long x = sink;
      while (System.nanoTime() < end) {
        for (int i = 0; i < 500; i++) {
          x = x * 6364136223846793005L + 1442695040888963407L;
        }
      }
      sink = x;
    }
  }

  /** Builds batches from generated values, as a loader that reads and decodes records would. */
  static final class Generator {
    private final Random random;
    private final Shape input;
    private final int classes;

    Generator(long seed, Shape input, int classes) {
      this.random = new Random(seed);
      this.input = input;
      this.classes = classes;
    }

    NDList[] next(NDManager manager) {
      float[] x = new float[(int) (BATCH * input.size())];
      float[] y = new float[BATCH];
      for (int i = 0; i < BATCH; i++) {
        double sum = 0;
        for (int j = 0; j < input.size(); j++) {
          float v = (float) random.nextGaussian();
          x[(int) (i * input.size() + j)] = v;
          sum += j % 7 == 0 ? v : 0;
        }
        y[i] = classes > 0 ? (float) Math.floorMod((long) Math.floor(sum * 3), classes) : (float) sum;
      }
      NDArray features = manager.create(x, new Shape(BATCH).addAll(input));
      NDArray labels = classes > 0 ? manager.create(y, new Shape(BATCH)) : manager.create(y, new Shape(BATCH, 1));
      return new NDList[] {new NDList(features), new NDList(labels)};
    }
  }

  /** A streaming dataset: its own {@code Iterable}, no random access, no {@code DataIterable}. */
  static final class StreamingDataset implements Dataset {
    private final Generator generator;
    private final Delay delay;
    private final int batches;

    StreamingDataset(Generator generator, Delay delay, int batches) {
      this.generator = generator;
      this.delay = delay;
      this.batches = batches;
    }

    @Override
    public Iterable<Batch> getData(NDManager manager) {
      return () -> new Iterator<Batch>() {
        private int served;

        @Override
        public boolean hasNext() {
          return served < batches;
        }

        @Override
        public Batch next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          served++;
          delay.pay();
          NDManager batchManager = manager.newSubManager();
          NDList[] xy = generator.next(batchManager);
          return new Batch(batchManager, xy[0], xy[1], BATCH, Batchifier.STACK, Batchifier.STACK, served, batches);
        }
      };
    }

    @Override
    public void prepare(Progress progress) {}
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    String model = Args.string(args, "--model", "mlp");
    String source = Args.string(args, "--source", "iterable");
    int steps = Args.integer(args, "--steps", 40);
    int seed = Args.integer(args, "--seed", 7);
    Delay delay = new Delay(Args.integer(args, "--data-sleep-ms", 0), Args.integer(args, "--data-spin-ms", 0));
    Spec spec = spec(model);
    Engine.getEngine("PyTorch").setRandomSeed(seed);
    try (NDManager manager = NDManager.newBaseManager();
        Model m = Model.newInstance(model)) {
      m.setBlock(spec.block);
      DefaultTrainingConfig config = new DefaultTrainingConfig(spec.loss)
          .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
      int prefetchThreads = Args.integer(args, "--prefetch-threads", 0);
      if (prefetchThreads > 0) {
        // DJL's DataIterable then fetches the next batches on the pool while the step computes: the loop waits
        // only for what is not ready.
        config.optExecutorService(java.util.concurrent.Executors.newFixedThreadPool(prefetchThreads, r -> {
          Thread t = new Thread(r, "prefetch");
          t.setDaemon(true);
          return t;
        }));
      }
      boolean metrics = Boolean.parseBoolean(Args.string(args, "--validate-metrics", "false"));
      if (metrics) {
        config.addEvaluator(new Accuracy());
      }
      Generator generator = new Generator(seed, spec.input, spec.classes);
      float loss;
      try (Trainer trainer = m.newTrainer(config)) {
        trainer.initialize(new Shape(BATCH).addAll(spec.input));
        if (metrics) {
          for (Evaluator evaluator : trainer.getEvaluators()) {
            evaluator.addAccumulator("validate");
          }
        }
        switch (source) {
          case "iterable":
            viaIterateDataset(trainer, arrayDataset(manager, generator, delay, steps), steps);
            break;
          case "dataset":
            viaIterateDataset(trainer, new StreamingDataset(generator, delay, steps), steps);
            break;
          case "loop":
            handWritten(trainer, manager, generator, delay, steps, Args.integer(args, "--accumulate", 1),
                Args.integer(args, "--validate-every", 0),
                Args.integer(args, "--validate-batches", 0), metrics,
                new Generator(seed + 2, spec.input, spec.classes), Args.integer(args, "--checkpoint-every", 0),
                Boolean.parseBoolean(Args.string(args, "--checkpoint-inside", "false")));
            break;
          default:
            throw new IllegalArgumentException("--source must be iterable, dataset or loop");
        }
        // The loss on a batch the model has not seen: identical for identical seeds.
        NDList[] held = new Generator(seed + 1, spec.input, spec.classes).next(manager);
        loss = spec.loss.evaluate(held[1], trainer.forward(held[0])).getFloat();
      }
      System.out.print(TRUTH);
      System.out.println(String.format(Locale.ROOT, "final loss %.6f after %d steps", loss, steps));
    }
  }

  /** DJL's own {@code ArrayDataset}, each batch fetch slowed by the delay. */
  private static Dataset arrayDataset(NDManager manager, Generator generator, Delay delay, int steps) {
    NDList[] first = generator.next(manager);
    NDArray x = first[0].head();
    NDArray y = first[1].head();
    for (int i = 1; i < steps; i++) {
      NDList[] more = generator.next(manager);
      x = x.concat(more[0].head());
      y = y.concat(more[1].head());
    }
    ArrayDataset.Builder builder = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(BATCH, false);
    return new ArrayDataset(builder) {
      @Override
      public Batch getByRange(NDManager m, long fromIndex, long toIndex) {
        delay.pay();
        return super.getByRange(m, fromIndex, toIndex);
      }

      @Override
      public Batch getByIndices(NDManager m, long... indices) {
        delay.pay();
        return super.getByIndices(m, indices);
      }
    };
  }

  /** {@code Trainer.iterateDataset} and {@code EasyTrain.trainBatch}, timing the fetches as the loop sees them. */
  private static void viaIterateDataset(Trainer trainer, Dataset dataset, int steps) throws Exception {
    Iterator<Batch> batches = trainer.iterateDataset(dataset).iterator();
    long previousClose = 0;
    for (int step = 1; step <= steps; step++) {
      long t0 = System.nanoTime();
      if (!batches.hasNext()) {
        break;
      }
      Batch b = batches.next();
      long fetch = System.nanoTime() - t0;
      EasyTrain.trainBatch(trainer, b);
      trainer.step();
      long c0 = System.nanoTime();
      b.close();
      long close = System.nanoTime() - c0;
      TRUTH.append("datatruth step ").append(step).append(" ns ").append(fetch + previousClose).append('\n');
      previousClose = close;
    }
  }

  /**
   * The user's own loop: load a batch in plain code, then forward, loss, backward and the optimizer; with
   * {@code accumulate} above 1, that many micro-batches (each loaded, then forward, loss and backward into the same
   * gradients) before the optimizer, the loading of all of them the step's truth; every {@code validateEvery} steps
   * (0: never), a validation pass of {@code validateBatches} batches before the step.
   */
  private static void handWritten(Trainer trainer, NDManager manager, Generator generator, Delay delay, int steps,
      int accumulate, int validateEvery, int validateBatches, boolean metrics, Generator validation,
      int checkpointEvery,
      boolean checkpointInside) throws IOException {
    Path checkpoints = checkpointEvery > 0 ? Files.createTempDirectory("djl-checkpoint") : null;
    long previousClose = 0;
    for (int step = 1; step <= steps; step++) {
      long passEnd = 0;
      if (validateEvery > 0 && step > 1 && (step - 1) % validateEvery == 0) {
        passEnd = validate(trainer, manager, validation, validateBatches, metrics, step);
      }
      boolean checkpoint = checkpointEvery > 0 && step > 1 && (step - 1) % checkpointEvery == 0;
      if (checkpoint && !checkpointInside) {
        long s0 = System.nanoTime();
        trainer.getModel().save(checkpoints, "checkpoint");
        passEnd = System.nanoTime();
        TRUTH.append("savetruth step ").append(step).append(" ns ").append(passEnd - s0).append(" calls 1\n");
      }
      long t0 = System.nanoTime();
      if (passEnd != 0) {
        // The step opens where the pass's last call returned: the loop's code since (closing the last validation
        // batch) is its input time, and the previous batch's close went before the pass, into no step.
        previousClose = t0 - passEnd;
      }
      NDManager batchManager = manager.newSubManager();
      long load = 0;
      try (GradientCollector collector = trainer.newGradientCollector()) {
        for (int micro = 0; micro < accumulate; micro++) {
          long l0 = micro == 0 ? t0 : System.nanoTime();
          delay.pay();
          NDList[] xy = generator.next(batchManager);
          load += System.nanoTime() - l0;
          NDList predictions = trainer.forward(xy[0]);
          NDArray l = trainer.getLoss().evaluate(xy[1], predictions);
          collector.backward(l);
        }
      }
      if (checkpoint && checkpointInside) {
        long s0 = System.nanoTime();
        trainer.getModel().save(checkpoints, "checkpoint");
        TRUTH.append("stepsave step ").append(step).append(" ns ").append(System.nanoTime() - s0).append('\n');
      }
      trainer.step();
      long c0 = System.nanoTime();
      batchManager.close();
      long close = System.nanoTime() - c0;
      TRUTH.append("datatruth step ").append(step).append(" ns ").append(load + previousClose).append('\n');
      previousClose = close;
    }
    if (checkpoints != null) {
      try (Stream<Path> files = Files.list(checkpoints)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(checkpoints);
    }
  }

  /**
   * A validation pass: each batch's forward ({@code Trainer.evaluate}, no gradients), its loss and, with
   * {@code metrics}, every evaluator's accumulator. The time of those calls is the truth; the batches' making and
   * closing is the loop's own code around them. Returns when the last call returned.
   */
  private static long validate(Trainer trainer, NDManager manager, Generator validation, int batches,
      boolean metrics, int step) {
    long ns = 0;
    long end = 0;
    for (int i = 0; i < batches; i++) {
      try (NDManager batchManager = manager.newSubManager()) {
        NDList[] xy = validation.next(batchManager);
        long t0 = System.nanoTime();
        NDList predictions = trainer.evaluate(xy[0]);
        NDArray l = trainer.getLoss().evaluate(xy[1], predictions);
        if (metrics) {
          for (Evaluator evaluator : trainer.getEvaluators()) {
            evaluator.updateAccumulator("validate", xy[1], predictions);
          }
        }
        end = System.nanoTime();
        ns += end - t0;
        l.getFloat();
      }
    }
    TRUTH.append("valtruth step ").append(step).append(" ns ").append(ns).append(" calls ").append(batches)
        .append('\n');
    return end;
  }
}
