package io.mltrace.agent.dl4j;

import io.mltrace.agent.memory.Reflection;
import io.mltrace.bootstrap.ModelMemory;

/**
 * The holders of a DL4J network in training, read from the {@code Solver} whose {@code optimize} ends the step
 * ({@link OptimizeAdvice}): a network keeps each holder as one flattened array, of which the layers' arrays are
 * views, so the three are exact and cheap:
 * <ul>
 *   <li>parameters: {@code params()};</li>
 *   <li>gradients: {@code getFlattenedGradients()} (absent before the network made it);</li>
 *   <li>optimizer state: the updater's {@code getStateViewArray()} (0 for an updater without state, such as plain
 *       SGD); the updater is never created by the reading ({@code getUpdater(false)}).</li>
 * </ul>
 */
final class Dl4jModelMemory implements ModelMemory.Reader {
  /** The network's {@code getUpdater(boolean)}, looked up once per class (a reading runs too rarely to be compiled). */
  private static final ClassValue<java.lang.reflect.Method> GET_UPDATER = new ClassValue<>() {
    @Override
    protected java.lang.reflect.Method computeValue(Class<?> c) {
      try {
        return c.getMethod("getUpdater", boolean.class);
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException("no getUpdater(boolean) on " + c.getName(), e);
      }
    }
  };

  @Override
  public boolean read(Object solverOrNetwork, long[] out) throws Exception {
    Object network = Reflection.has(solverOrNetwork, "params") ? solverOrNetwork
        : Reflection.field(solverOrNetwork, "model");
    if (network == null || !network.getClass().getName().startsWith("org.deeplearning4j.")
        || !Reflection.has(network, "getFlattenedGradients")) {
      return false;
    }
    put(out, ModelMemory.PARAMETERS, Reflection.call(network, "params"));
    put(out, ModelMemory.GRADIENTS, Reflection.call(network, "getFlattenedGradients"));
    Object updater = GET_UPDATER.get(network.getClass()).invoke(network, false);
    if (updater != null && Reflection.has(updater, "getStateViewArray")) {
      Object state = Reflection.call(updater, "getStateViewArray");
      out[2 * ModelMemory.OPTIMIZER_STATE] = state == null ? 0 : bytes(state);
      out[2 * ModelMemory.OPTIMIZER_STATE + 1] = state == null ? 0 : 1;
    }
    return true;
  }

  private static void put(long[] out, int holder, Object array) throws ReflectiveOperationException {
    if (array != null) {
      out[2 * holder] = bytes(array);
      out[2 * holder + 1] = 1;
    }
  }

  private static long bytes(Object array) throws ReflectiveOperationException {
    Object length = Reflection.call(array, "length");
    Object width = Reflection.call(Reflection.call(array, "dataType"), "width");
    return length instanceof Long && width instanceof Integer ? (Long) length * (Integer) width : 0;
  }

  @Override
  public String toString() {
    return "DL4J";
  }
}
