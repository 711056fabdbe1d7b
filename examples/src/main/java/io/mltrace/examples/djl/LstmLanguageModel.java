package io.mltrace.examples.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.loss.Loss;
import io.mltrace.examples.Args;

/**
 * A multi-layer LSTM language model on synthetic data (the talk's LSTM case study): embedded tokens
 * {@code [batch, time steps, hidden]} (the embedding width equals the hidden size, so every layer's input is
 * {@code hidden} wide), {@code --layers} stacked LSTM layers, and a linear head to {@code --vocab} classes at every
 * time step, trained with softmax cross-entropy against random next tokens.
 *
 * <p>Options: {@code --hidden 64 --time-steps 16 --batch 8 --layers 2 --vocab 64 --steps 20 --seed 1}. Each
 * layer's forward GEMMs are {@code 16·h²·batch·time steps} FLOPs per step (four gates, input and recurrent
 * weights); the head adds {@code 2·h·vocab·batch·time steps}.
 */
public final class LstmLanguageModel {
  private LstmLanguageModel() {}

  public static void main(String[] args) throws Exception {
    Offline.apply();
    int hidden = Args.integer(args, "--hidden", 64);
    int timeSteps = Args.integer(args, "--time-steps", 16);
    int batch = Args.integer(args, "--batch", 8);
    int layers = Args.integer(args, "--layers", 2);
    int vocab = Args.integer(args, "--vocab", 64);
    int steps = Args.integer(args, "--steps", 20);
    Engine.getEngine("PyTorch").setRandomSeed(Args.integer(args, "--seed", 1));
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape((long) steps * batch, timeSteps, hidden));
      NDArray y = manager.randomInteger(0, vocab, new Shape((long) steps * batch, timeSteps), DataType.INT32)
          .toType(DataType.FLOAT32, false);
      SequentialBlock block = new SequentialBlock()
          .add(LSTM.builder().setStateSize(hidden).setNumLayers(layers).optBatchFirst(true).optReturnState(false)
              .build())
          .add(Linear.builder().setUnits(vocab).build())
          // [batch·time steps, vocab]: DJL's sparse cross-entropy picks along the last axis of 2-D scores only.
          .add(list -> new NDList(list.head().reshape(-1, vocab)));
      SyntheticTraining.train("lstm-lm", block, x, y, Loss.softmaxCrossEntropyLoss(), batch, steps);
    }
  }
}
