package io.mltrace.examples.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The example networks and their synthetic data. Labels are a fixed function of the inputs (the arg-max of
 * a random projection), so the loss falls as the network learns. Sizes are public: the tests compute the expected
 * shapes and FLOPs from them.
 */
final class Dl4jModels {
  static final int MLP_IN = 784;
  static final int MLP_HIDDEN = 128;
  static final int CLASSES = 10;
  static final int CNN_SIDE = 12;
  static final int CNN_FILTERS = 4;
  static final int CNN_KERNEL = 3;
  static final int LSTM_IN = 8;
  static final int LSTM_HIDDEN = 16;
  static final int LSTM_STEPS = 10;
  static final int LSTM_CLASSES = 4;
  /** LeNet-5 as in DL4J's examples: 28×28 inputs, 5×5 convolutions of 20 and 50 filters, 500 hidden units. */
  static final int LENET_SIDE = 28;

  private Dl4jModels() {}

  static MultiLayerConfiguration config(String model, long seed) {
    return config(model, seed, new Sgd(0.05));
  }

  static MultiLayerConfiguration config(String model, long seed, org.nd4j.linalg.learning.config.IUpdater updater) {
    NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER)
        .updater(updater)
        .list();
    switch (model) {
      case "mlp":
        return list
            .layer(new DenseLayer.Builder().nIn(MLP_IN).nOut(MLP_HIDDEN).activation(Activation.RELU).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(MLP_HIDDEN).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .build();
      case "cnn":
        return list
            .layer(new ConvolutionLayer.Builder(CNN_KERNEL, CNN_KERNEL).nIn(1).nOut(CNN_FILTERS)
                .activation(Activation.RELU).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .setInputType(InputType.convolutional(CNN_SIDE, CNN_SIDE, 1))
            .build();
      case "lenet":
        return list
            .layer(new ConvolutionLayer.Builder(5, 5).nIn(1).nOut(20).activation(Activation.IDENTITY).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .build())
            .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.IDENTITY).build())
            .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                .build())
            .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .setInputType(InputType.convolutional(LENET_SIDE, LENET_SIDE, 1))
            .build();
      case "lstm":
        return list
            .layer(new LSTM.Builder().nIn(LSTM_IN).nOut(LSTM_HIDDEN).activation(Activation.TANH).build())
            .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(LSTM_HIDDEN)
                .nOut(LSTM_CLASSES).activation(Activation.SOFTMAX).build())
            .build();
      default:
        throw new IllegalArgumentException("unknown model '" + model + "' (mlp, cnn, lenet, lstm)");
    }
  }

  /** {@code count} batches of {@code batch} examples for the model. */
  static List<DataSet> batches(String model, int count, int batch, long seed) {
    Nd4j.getRandom().setSeed(seed);
    long inputs = model.equals("mlp") ? MLP_IN : model.equals("cnn") ? CNN_SIDE * CNN_SIDE
        : model.equals("lenet") ? LENET_SIDE * LENET_SIDE : LSTM_IN;
    int classes = model.equals("lstm") ? LSTM_CLASSES : CLASSES;
    INDArray projection = Nd4j.rand(DataType.FLOAT, inputs, classes).subi(0.5);
    List<DataSet> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      switch (model) {
        case "mlp": {
          INDArray x = Nd4j.randn(DataType.FLOAT, batch, MLP_IN);
          out.add(new DataSet(x, oneHotOfProjection(x, projection)));
          break;
        }
        case "cnn": {
          INDArray x = Nd4j.randn(DataType.FLOAT, batch, 1, CNN_SIDE, CNN_SIDE);
          out.add(new DataSet(x, oneHotOfProjection(x.reshape(batch, CNN_SIDE * CNN_SIDE), projection)));
          break;
        }
        case "lenet": {
          INDArray x = Nd4j.randn(DataType.FLOAT, batch, 1, LENET_SIDE, LENET_SIDE);
          out.add(new DataSet(x, oneHotOfProjection(x.reshape(batch, LENET_SIDE * LENET_SIDE), projection)));
          break;
        }
        case "lstm": {
          // Recurrent data is [batch, features, time]; the label at each time step depends on that step's input.
          INDArray x = Nd4j.randn(DataType.FLOAT, batch, LSTM_IN, LSTM_STEPS);
          INDArray y = Nd4j.zeros(DataType.FLOAT, batch, LSTM_CLASSES, LSTM_STEPS);
          for (int t = 0; t < LSTM_STEPS; t++) {
            INDArray xt = x.get(NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.point(t));
            y.get(NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.point(t)).assign(oneHotOfProjection(xt, projection));
          }
          out.add(new DataSet(x, y));
          break;
        }
        default:
          throw new IllegalArgumentException("unknown model '" + model + "' (mlp, cnn, lenet, lstm)");
      }
    }
    return out;
  }

  /** One-hot of the arg-max of {@code x · P}. */
  private static INDArray oneHotOfProjection(INDArray x, INDArray projection) {
    long classes = projection.size(1);
    INDArray scores = x.mmul(projection);
    INDArray argMax = Nd4j.argMax(scores, 1);
    INDArray oneHot = Nd4j.zeros(DataType.FLOAT, x.size(0), classes);
    for (int r = 0; r < x.size(0); r++) {
      oneHot.putScalar(r, argMax.getInt(r), 1f);
    }
    return oneHot;
  }
}
