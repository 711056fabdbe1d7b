package io.mltrace.examples.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.loss.Loss;
import io.mltrace.examples.Args;

/**
 * A Transformer encoder on synthetic data (the talk's Transformer case study): {@code --layers} of DJL's
 * {@code TransformerEncoderBlock} (multi-head self-attention with query, key, value and output projections, then a
 * two-layer feed-forward block of width {@code --ffn}) over inputs {@code [batch, seq length, model dim]},
 * regressing a random target of the same shape (L2 loss), so no head adds work.
 *
 * <p>Options: {@code --layers 2 --model-dim 64 --heads 4 --seq-len 32 --batch 4 --ffn (4·model dim) --steps 10}.
 * Forward GEMM FLOPs per step, per layer: {@code 8·B·L·d² + 4·B·L²·d + 4·B·L·d·f} (see docs/case-studies.md).
 */
public final class TransformerEncoderTraining {
  private TransformerEncoderTraining() {}

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int layers = Args.integer(args, "--layers", 2);
    int dim = Args.integer(args, "--model-dim", 64);
    int heads = Args.integer(args, "--heads", 4);
    int seq = Args.integer(args, "--seq-len", 32);
    int batch = Args.integer(args, "--batch", 4);
    int ffn = Args.integer(args, "--ffn", 4 * dim);
    int steps = Args.integer(args, "--steps", 10);
    Engine.getEngine("PyTorch").setRandomSeed(Args.integer(args, "--seed", 1));
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape((long) steps * batch, seq, dim));
      NDArray y = manager.randomNormal(new Shape((long) steps * batch, seq, dim));
      SequentialBlock block = new SequentialBlock();
      for (int i = 0; i < layers; i++) {
        block.add(new TransformerEncoderBlock(dim, heads, ffn, 0f, Activation::relu));
      }
      SyntheticTraining.train("transformer", block, x, y, Loss.l2Loss(), batch, steps);
    }
  }
}
