package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.mltrace.examples.Args;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Inference throughput against batch size (the talk's images/s case study): the AlexNet-style CNN of
 * {@link AlexNetTraining}, randomly initialized, classifies synthetic images through {@code batchPredict} at each
 * batch size of {@code --batches 1,2,4,8,16}, {@code --warmup 2} calls then {@code --calls 5} calls each. Prints
 * {@code batch B images/s X} per size, as the job measured it.
 *
 * <p>Options also: {@code --image-size 64 --width 0.25}.
 */
public final class CnnInferenceSweep {
  private CnnInferenceSweep() {}

  /** A float[3·S·S] image in, its class out. */
  static final class ImageTranslator implements Translator<float[], Integer> {
    private final int size;

    ImageTranslator(int size) {
      this.size = size;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, float[] input) {
      return new NDList(ctx.getNDManager().create(input, new Shape(3, size, size)));
    }

    @Override
    public Integer processOutput(TranslatorContext ctx, NDList list) {
      return (int) list.singletonOrThrow().argMax().getLong();
    }

    @Override
    public Batchifier getBatchifier() {
      return Batchifier.STACK;
    }
  }

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int size = Args.integer(args, "--image-size", 64);
    double width = Double.parseDouble(Args.string(args, "--width", "0.25"));
    int warmup = Args.integer(args, "--warmup", 2);
    int calls = Args.integer(args, "--calls", 5);
    Engine.getEngine("PyTorch").setRandomSeed(1);
    Random random = new Random(1);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("alexnet-inference")) {
      SequentialBlock net = AlexNetTraining.network(width, 10);
      net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, size, size));
      model.setBlock(net);
      try (Predictor<float[], Integer> predictor = model.newPredictor(new ImageTranslator(size))) {
        for (String b : Args.string(args, "--batches", "1,2,4,8,16").split(",")) {
          int batch = Integer.parseInt(b.trim());
          List<float[]> images = new ArrayList<>();
          for (int i = 0; i < batch; i++) {
            float[] v = new float[3 * size * size];
            for (int j = 0; j < v.length; j++) {
              v[j] = (float) random.nextGaussian();
            }
            images.add(v);
          }
          for (int i = 0; i < warmup; i++) {
            predictor.batchPredict(images);
          }
          long start = System.nanoTime();
          for (int i = 0; i < calls; i++) {
            predictor.batchPredict(images);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.println(String.format(Locale.ROOT, "batch %d images/s %.1f", batch, batch * calls / seconds));
        }
      }
    }
  }
}
