package io.mltrace.agent.djl;

import io.mltrace.agent.memory.Reflection;
import io.mltrace.bootstrap.ModelMemory;
import java.util.Collection;
import java.util.Map;

/**
 * The holders of a DJL model in training, read from the {@code Trainer} that ends the step
 * ({@code Trainer.step()}, {@link StepEndAdvice}):
 * <ul>
 *   <li>parameters: the initialised parameters of the model's block, shape × element size each;</li>
 *   <li>gradients: those of the parameters that require a gradient (PyTorch keeps one gradient of the parameter's
 *       size per trainable parameter once a backward pass ran; the reading is taken at a step's end, after it);</li>
 *   <li>optimizer state: every array in the optimizer's state maps (DJL's optimizers keep their state as
 *       {@code Map<String, Map<Device, NDArray>>} fields: Adam's means and variances, SGD's and NAG's momentum...),
 *       reached through the trainer's parameter store and its parameter server. Absent when that path is not there
 *       (another DJL version, a custom parameter server).</li>
 * </ul>
 */
final class DjlModelMemory implements ModelMemory.Reader {
  private static final String TRAINER = "ai.djl.training.Trainer";

  @Override
  public boolean read(Object trainer, long[] out) throws Exception {
    if (!isTrainer(trainer.getClass())) {
      return false;
    }
    Object block = Reflection.call(Reflection.call(trainer, "getModel"), "getBlock");
    Object parameters = Reflection.call(Reflection.call(block, "getParameters"), "values");
    if (parameters instanceof Collection) {
      long bytes = 0;
      long count = 0;
      long gradBytes = 0;
      long gradCount = 0;
      for (Object p : (Collection<?>) parameters) {
        if (!Boolean.TRUE.equals(Reflection.call(p, "isInitialized"))) {
          continue;
        }
        long b = arrayBytes(Reflection.call(p, "getArray"));
        bytes += b;
        count++;
        if (Boolean.TRUE.equals(Reflection.call(p, "requiresGradient"))) {
          gradBytes += b;
          gradCount++;
        }
      }
      out[2 * ModelMemory.PARAMETERS] = bytes;
      out[2 * ModelMemory.PARAMETERS + 1] = count;
      out[2 * ModelMemory.GRADIENTS] = gradBytes;
      out[2 * ModelMemory.GRADIENTS + 1] = gradCount;
    }
    Object server = Reflection.field(Reflection.field(trainer, "parameterStore"), "parameterServer");
    Object optimizer = Reflection.field(server, "optimizer");
    if (optimizer != null) {
      long[] state = new long[2];
      for (Map<?, ?> byParameter : Reflection.mapFields(optimizer)) {
        for (Object byDevice : byParameter.values()) {
          if (byDevice instanceof Map) {
            for (Object array : ((Map<?, ?>) byDevice).values()) {
              state[0] += arrayBytes(array);
              state[1]++;
            }
          }
        }
      }
      out[2 * ModelMemory.OPTIMIZER_STATE] = state[0];
      out[2 * ModelMemory.OPTIMIZER_STATE + 1] = state[1];
    }
    return true;
  }

  private static long arrayBytes(Object array) throws ReflectiveOperationException {
    Object size = Reflection.call(array, "size");
    Object type = Reflection.call(array, "getDataType");
    Object width = Reflection.call(type, "getNumOfBytes");
    return size instanceof Long && width instanceof Integer ? (Long) size * (Integer) width : 0;
  }

  private static boolean isTrainer(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      if (k.getName().equals(TRAINER)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "DJL";
  }
}
