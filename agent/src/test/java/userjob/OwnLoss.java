package userjob;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** A job's own DJL loss: in the family of DJL's loss hook, so Byte Buddy must see it. */
public final class OwnLoss extends ai.djl.training.loss.Loss {
  public OwnLoss() {
    super("own");
  }

  @Override
  public NDArray evaluate(NDList labels, NDList predictions) {
    return labels.singletonOrThrow();
  }
}
