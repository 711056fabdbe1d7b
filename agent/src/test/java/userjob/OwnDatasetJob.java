package userjob;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.djl.util.Progress;

/**
 * A DJL job shaped as users write them: its own dataset class and its own block in the model, its own loop. {@code
 * WeavingCacheIT} runs it against a cache that knows DJL's classes but not the job's (as after an edit). Argument:
 * {@code --steps N}.
 */
public final class OwnDatasetJob {
  private OwnDatasetJob() {}

  /** Records that are rows of two arrays. */
  static final class RowDataset extends RandomAccessDataset {
    private final NDArray x;
    private final NDArray y;

    RowDataset(Builder builder) {
      super(builder);
      this.x = builder.x;
      this.y = builder.y;
    }

    @Override
    public Record get(NDManager manager, long index) {
      return new Record(new NDList(x.get(index)), new NDList(y.get(index)));
    }

    @Override
    protected long availableSize() {
      return x.getShape().get(0);
    }

    @Override
    public void prepare(Progress progress) {}

    static final class Builder extends BaseBuilder<Builder> {
      NDArray x;
      NDArray y;

      @Override
      protected Builder self() {
        return this;
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int steps = args.length == 2 && args[0].equals("--steps") ? Integer.parseInt(args[1]) : 4;
    int batch = 32;
    Engine.getEngine("PyTorch").setRandomSeed(7);
    try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("own")) {
      NDArray x = manager.randomNormal(new Shape((long) steps * batch, 64));
      NDArray y = x.matMul(manager.randomNormal(new Shape(64, 4))).argMax(1).toType(DataType.FLOAT32, false);
      RowDataset.Builder builder = new RowDataset.Builder().setSampling(batch, false);
      builder.x = x;
      builder.y = y;
      RowDataset dataset = new RowDataset(builder);
      model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(32).build()).add(Activation::relu)
          .add(new OwnBlock()).add(Linear.builder().setUnits(4).build()));
      try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()))) {
        trainer.initialize(new Shape(batch, 64));
        int done = 0;
        for (Batch b : trainer.iterateDataset(dataset)) {
          EasyTrain.trainBatch(trainer, b);
          trainer.step();
          b.close();
          if (++done == steps) {
            break;
          }
        }
        System.out.println("trained " + done + " steps");
      }
    }
  }
}
