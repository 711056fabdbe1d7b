package io.mltrace.examples.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.mltrace.examples.Args;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Inference with a {@code Predictor}: an MLP (784-128-10, randomly initialized) classifies float vectors through a
 * translator that builds the input array from a Java array and reads the predicted class back.
 *
 * <p>{@code --requests N --batch B --seed S}: N single {@code predict} calls, then N/B {@code batchPredict} calls of
 * B inputs. Prints {@code predictions <count> checksum <sum of classes>}.
 */
public final class MlpInference {
  private MlpInference() {}

  /** float[784] in, class index out. */
  static final class ClassifyTranslator implements Translator<float[], Integer> {
    @Override
    public NDList processInput(TranslatorContext ctx, float[] input) {
      return new NDList(ctx.getNDManager().create(input));
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
    int requests = Args.integer(args, "--requests", 20);
    int batch = Args.integer(args, "--batch", 4);
    int seed = Args.integer(args, "--seed", 42);
    int inputs = 784;

    Engine.getEngine("PyTorch").setRandomSeed(seed);
    Random random = new Random(seed);
    try (NDManager manager = NDManager.newBaseManager();
        Model model = Model.newInstance("mlp-inference")) {
      SequentialBlock mlp = new SequentialBlock()
          .add(Linear.builder().setUnits(128).build())
          .add(Activation::relu)
          .add(Linear.builder().setUnits(10).build());
      mlp.initialize(manager, DataType.FLOAT32, new Shape(1, inputs));
      model.setBlock(mlp);
      long checksum = 0;
      int count = 0;
      try (Predictor<float[], Integer> predictor = model.newPredictor(new ClassifyTranslator())) {
        for (int i = 0; i < requests; i++) {
          checksum += predictor.predict(vector(random, inputs));
          count++;
        }
        for (int i = 0; i + batch <= requests; i += batch) {
          List<float[]> many = new ArrayList<>();
          for (int j = 0; j < batch; j++) {
            many.add(vector(random, inputs));
          }
          for (int c : predictor.batchPredict(many)) {
            checksum += c;
            count++;
          }
        }
      }
      System.out.println("predictions " + count + " checksum " + checksum);
    }
  }

  private static float[] vector(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
