package userjob;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** A job's own DJL block: below DJL's blocks, in no hook family (the blocks' hook is on DJL's base class). */
public final class OwnBlock extends ai.djl.nn.AbstractBlock {
  @Override
  protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
      PairList<String, Object> params) {
    return inputs;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }
}
