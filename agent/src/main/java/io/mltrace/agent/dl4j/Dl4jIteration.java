package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.StepIteration;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * DL4J's iteration count for the step that {@code Solver.optimize} begins: the network's {@code getIterationCount()}
 * (a {@code NeuralNetwork}: {@code MultiLayerNetwork}, {@code ComputationGraph}), read from the solver's {@code model}
 * field before {@code optimize} increments it. Under Spark's parameter averaging each worker's network is made from
 * the driver's averaged one, count included, so the k-th fit of a split has the same count on every worker.
 *
 * <p>By reflection, found once per solver class: DL4J may live in a class loader the agent's cannot see (a Spark
 * executor's). A step costs a field read and a call.
 */
final class Dl4jIteration implements StepIteration.Reader {
  private static final ClassValue<Field> MODEL = new ClassValue<>() {
    @Override
    protected Field computeValue(Class<?> solver) {
      try {
        Field f = solver.getDeclaredField("model");
        f.setAccessible(true);
        return f;
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
  };
  private static final ClassValue<Method> COUNT = new ClassValue<>() {
    @Override
    protected Method computeValue(Class<?> network) {
      try {
        Method m = network.getMethod("getIterationCount");
        return m.getReturnType() == int.class ? m : null;
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
  };

  @Override
  public long iteration(Object solver) throws Exception {
    Field model = MODEL.get(solver.getClass());
    Object network = model == null ? null : model.get(solver);
    Method count = network == null ? null : COUNT.get(network.getClass());
    return count == null ? -1 : (Integer) count.invoke(network);
  }

  @Override
  public String toString() {
    return "DL4J";
  }
}
