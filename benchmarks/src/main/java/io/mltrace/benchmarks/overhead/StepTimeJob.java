package io.mltrace.benchmarks.overhead;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * The DJL examples' models with each step timed by the job itself, from the batch fetch to the end of the optimizer
 * update. Prints {@code training} when the loop starts and, at the end, {@code step_ns median=<ns> mean=<ns>
 * steps=<n>} over the steps after the warm-up.
 *
 * <p>{@code --model mlp} (the default): the MLP example (784-128-10, batch 64, SGD, {@code EasyTrain.trainBatch}).
 * {@code --model cnn}: the CNN example ({@code CnnTraining}: conv 3×3 of 8 filters, ReLU, 2×2 max pool, linear, on
 * 28×28 {@code uint8} images converted to {@code float32} in the step, batch 32, a hand-written loop of forward,
 * loss, backward, {@code Trainer.step}). {@code --model lstm}: the LSTM example ({@code LstmTraining}: two LSTM
 * layers of 32 over 12 steps of 16 features, batch 16, {@code EasyTrain} with the default listeners).
 *
 * <p>{@code --steps N --warmup W --batch B --hidden H --seed S --data-batches D --lockstep true|false}: the data
 * holds D batches (default {@code min(N, 600)}) and is iterated again, as a new epoch, when it runs out;
 * {@code --lockstep true} takes one step per turn the harness hands out ({@link StepGate}) instead of N steps.
 * {@code --djl-profiler DIR} runs PyTorch's profiler around every step as a user enables it
 * ({@code JniUtils.startProfile} with shapes and memory before the step, {@code stopProfile} writing the step's
 * trace after it, inside the timed step).
 */
public final class StepTimeJob {
  private StepTimeJob() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.pytorch.num_threads", "1");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    String model = Args.stringArg(args, "--model", "mlp");
    int steps = Args.intArg(args, "--steps", 600);
    int warmup = Args.intArg(args, "--warmup", 100);
    int batch = Args.intArg(args, "--batch", model.equals("mlp") ? 64 : model.equals("cnn") ? 32 : 16);
    String profilerDir = Args.stringArg(args, "--djl-profiler", "");
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed(Args.intArg(args, "--seed", 42));
    int dataBatches = Args.intArg(args, "--data-batches", Math.min(steps, 600));
    StepGate gate = StepGate.fromArgs(args, steps);
    StepTimes times = new StepTimes();
    Path profile = profilerDir.isEmpty() ? null : Path.of(profilerDir).resolve("step.json");
    long profileBytes = 0;
    try (NDManager manager = NDManager.newBaseManager(); Model m = Model.newInstance(model)) {
      Setup setup = setup(model, manager, dataBatches, batch, Args.intArg(args, "--hidden", 128));
      m.setBlock(setup.block);
      try (Trainer trainer = m.newTrainer(setup.config)) {
        trainer.initialize(setup.inputShape);
        gate.ready();
        Iterator<Batch> it = trainer.iterateDataset(setup.dataset).iterator();
        for (int i = 0; gate.awaitTurn(i); i++) {
          // The batch fetch (hasNext, then next) opens the agent's step; a new epoch starts when the data runs out.
          long t0 = System.nanoTime();
          if (profile != null) {
            JniUtils.startProfile(false, true, true);
          }
          if (!it.hasNext()) {
            it = trainer.iterateDataset(setup.dataset).iterator();
          }
          Batch b = it.next();
          if (model.equals("cnn")) {
            handWrittenStep(trainer, b);
          } else {
            EasyTrain.trainBatch(trainer, b);
          }
          trainer.step();
          b.close();
          if (profile != null) {
            JniUtils.stopProfile(profile.toString());
          }
          long ns = System.nanoTime() - t0;
          if (profile != null) {
            profileBytes += Files.size(profile);
          }
          times.add(ns);
          gate.stepDone(ns);
        }
      }
    }
    System.out.println(times.summary(warmup));
    gate.finished(profileBytes);
  }

  /** The CNN example's loop body: {@code uint8} images to {@code float32}, forward, loss, backward. */
  private static void handWrittenStep(Trainer trainer, Batch b) {
    try (GradientCollector collector = trainer.newGradientCollector()) {
      NDArray images = b.getData().head().toType(DataType.FLOAT32, false).div(255f);
      NDList predictions = trainer.forward(new NDList(images));
      NDArray loss = trainer.getLoss().evaluate(b.getLabels(), predictions);
      collector.backward(loss);
    }
  }

  /** A model, its training configuration, its data and its input shape. */
  private record Setup(SequentialBlock block, DefaultTrainingConfig config, ArrayDataset dataset, Shape inputShape) {}

  private static Setup setup(String model, NDManager manager, int dataBatches, int batch, int hidden) {
    long samples = (long) dataBatches * batch;
    Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
    switch (model) {
      case "mlp": {
        NDArray x = manager.randomNormal(new Shape(samples, 784));
        NDArray y = x.matMul(manager.randomNormal(new Shape(784, 10))).argMax(1).toType(DataType.FLOAT32, false);
        return new Setup(new SequentialBlock()
            .add(Blocks.batchFlattenBlock(784))
            .add(Linear.builder().setUnits(hidden).build())
            .add(Activation::relu)
            .add(Linear.builder().setUnits(10).build()),
            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd),
            new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build(),
            new Shape(batch, 784));
      }
      case "cnn": {
        int size = 28;
        NDArray pixels = manager.randomNormal(new Shape(samples, 1, size, size)).mul(40).add(128).clip(0, 255)
            .toType(DataType.UINT8, false);
        NDArray x = pixels.toType(DataType.FLOAT32, false).div(255f);
        NDArray y = x.reshape(samples, (long) size * size).sub(0.5f)
            .matMul(manager.randomNormal(new Shape((long) size * size, 10))).argMax(1).toType(DataType.FLOAT32,
                false);
        return new Setup(new SequentialBlock()
            .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(8).build())
            .add(Activation::relu)
            .add(Pool.maxPool2dBlock(new Shape(2, 2)))
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(10).build()),
            new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd),
            new ArrayDataset.Builder().setData(pixels).optLabels(y).setSampling(batch, false).build(),
            new Shape(batch, 1, size, size));
      }
      case "lstm": {
        int seq = 12;
        int features = 16;
        NDArray x = manager.randomNormal(new Shape(samples, seq, features));
        NDArray y = x.reshape(samples, (long) seq * features)
            .matMul(manager.randomNormal(new Shape((long) seq * features, 1)).div(seq * features));
        return new Setup(new SequentialBlock()
            .add(LSTM.builder().setStateSize(32).setNumLayers(2).optBatchFirst(true).optReturnState(false).build())
            .add(Blocks.batchFlattenBlock())
            .add(Linear.builder().setUnits(1).build()),
            new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd)
                .addTrainingListeners(TrainingListener.Defaults.basic()),
            new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(batch, false).build(),
            new Shape(batch, seq, features));
      }
      default:
        throw new IllegalArgumentException("unknown model '" + model + "' (mlp, cnn, lstm)");
    }
  }
}
