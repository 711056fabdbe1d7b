package io.mltrace.agent.dl4j;

import io.mltrace.bootstrap.StepIteration;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * DL4J's iteration count for the step that {@code Solver.optimize} begins: the network's {@code getIterationCount()}
 * (a {@code NeuralNetwork}: {@code MultiLayerNetwork}, {@code ComputationGraph}), read from the solver's {@code model}
 * field before {@code optimize} increments it. Under Spark's parameter averaging each worker's network is made from
 * the driver's averaged one, count included, so the k-th fit of a split has the same count on every worker.
 *
 * <p>By method handles, found once per class: DL4J may live in a class loader the agent's cannot see (a Spark
 * executor's). A step costs a field read and a call, and allocates nothing. For DL4J's two networks the optimize
 * advice reads the count itself ({@code OptimizeAdvice}: inlined in the Solver, a plain call, where these handles cost
 * microseconds a step while once-a-step code runs in C1); this reads it for any other model, and reads every step's
 * Spark partition.
 */
final class Dl4jIteration implements StepIteration.Reader {
  /** {@code (Object solver) -> Object network}: the solver's {@code model} field, or null when absent. */
  private static final ClassValue<MethodHandle> MODEL = new ClassValue<>() {
    @Override
    protected MethodHandle computeValue(Class<?> solver) {
      try {
        Field f = solver.getDeclaredField("model");
        f.setAccessible(true);
        return MethodHandles.lookup().unreflectGetter(f).asType(MethodType.methodType(Object.class, Object.class));
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
  };
  /** {@code (Object network) -> int}: its {@code getIterationCount()}, or null when it has none. */
  private static final ClassValue<MethodHandle> COUNT = new ClassValue<>() {
    @Override
    protected MethodHandle computeValue(Class<?> network) {
      try {
        Method m = network.getMethod("getIterationCount");
        return m.getReturnType() != int.class ? null
            : MethodHandles.publicLookup().unreflect(m).asType(MethodType.methodType(int.class, Object.class));
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
  };

  @Override
  public long iteration(Object solver) throws Exception {
    MethodHandle model = MODEL.get(solver.getClass());
    if (model == null) {
      return -1;
    }
    try {
      Object network = (Object) model.invokeExact(solver);
      MethodHandle count = network == null ? null : COUNT.get(network.getClass());
      // invokeExact on an (Object)int handle: no boxing, no varargs array; nothing allocated on the training thread.
      return count == null ? -1 : (int) count.invokeExact(network);
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** On a Spark executor, the partition of the task fitting this iteration (TaskContext), else -1. */
  @Override
  public long partition(Object solver) throws Exception {
    try {
      return io.mltrace.agent.cluster.SparkTask.partition(solver.getClass());
    } catch (Exception | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public String toString() {
    return "DL4J";
  }
}
