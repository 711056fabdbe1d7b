package io.mltrace.examples.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.loss.Loss;
import io.mltrace.examples.Args;

/**
 * An AlexNet-style CNN on synthetic images at a reduced size (the talk's CNN case study): five convolutions
 * (11×11 stride 4, 5×5, three 3×3) with ReLU and three 3×3 stride-2 max pools, then three linear layers. Channel
 * and unit counts are AlexNet's (64, 192, 384, 256, 256; 4096, 4096) times {@code --width}.
 *
 * <p>Options: {@code --image-size 64 --width 0.25 --batch 8 --classes 10 --steps 10}. The image size must be at
 * least 63 (the last pool needs a 3×3 map).
 */
public final class AlexNetTraining {
  private AlexNetTraining() {}

  static SequentialBlock network(double width, int classes) {
    int[] c = {scale(64, width), scale(192, width), scale(384, width), scale(256, width), scale(256, width)};
    int fc = scale(4096, width);
    return new SequentialBlock()
        .add(conv(c[0], 11, 4, 2)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2)))
        .add(conv(c[1], 5, 1, 2)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2)))
        .add(conv(c[2], 3, 1, 1)).add(Activation::relu)
        .add(conv(c[3], 3, 1, 1)).add(Activation::relu)
        .add(conv(c[4], 3, 1, 1)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2)))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(fc).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(fc).build()).add(Activation::relu)
        .add(Linear.builder().setUnits(classes).build());
  }

  private static int scale(int channels, double width) {
    return Math.max(1, (int) Math.round(channels * width));
  }

  private static Conv2d conv(int filters, int kernel, int stride, int padding) {
    return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
        .optStride(new Shape(stride, stride)).optPadding(new Shape(padding, padding)).build();
  }

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int size = Args.integer(args, "--image-size", 64);
    double width = Double.parseDouble(Args.string(args, "--width", "0.25"));
    int batch = Args.integer(args, "--batch", 8);
    int classes = Args.integer(args, "--classes", 10);
    int steps = Args.integer(args, "--steps", 10);
    if (size < 63) {
      throw new IllegalArgumentException("--image-size must be at least 63");
    }
    Engine.getEngine("PyTorch").setRandomSeed(Args.integer(args, "--seed", 1));
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape((long) steps * batch, 3, size, size));
      NDArray y = manager.randomInteger(0, classes, new Shape((long) steps * batch), DataType.INT32)
          .toType(DataType.FLOAT32, false);
      SyntheticTraining.train("alexnet", network(width, classes), x, y, Loss.softmaxCrossEntropyLoss(), batch, steps);
    }
  }
}
