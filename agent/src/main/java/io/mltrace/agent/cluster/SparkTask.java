package io.mltrace.agent.cluster;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The partition of the Spark task the calling thread runs, read through Spark's own {@code TaskContext.get()} in the
 * class loader of the code that asks (an executor loads Spark and the job's classes in loaders the agent's cannot
 * see). By method handles found once per asking class: a step costs a thread-local read and a call.
 */
public final class SparkTask {
  /** {@code () -> TaskContext} and {@code (Object) -> int partitionId}, or null where Spark is not loadable. */
  private static final ClassValue<MethodHandle[]> HANDLES = new ClassValue<>() {
    @Override
    protected MethodHandle[] computeValue(Class<?> asking) {
      try {
        Class<?> context = Class.forName("org.apache.spark.TaskContext", false, asking.getClassLoader());
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle get = lookup.findStatic(context, "get", MethodType.methodType(context))
            .asType(MethodType.methodType(Object.class));
        MethodHandle partition = lookup.findVirtual(context, "partitionId", MethodType.methodType(int.class))
            .asType(MethodType.methodType(int.class, Object.class));
        return new MethodHandle[] {get, partition};
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return null;
      }
    }
  };

  private SparkTask() {}

  /** The partition id of the calling thread's Spark task, or -1 (no Spark beside {@code asking}, or no task). */
  public static long partition(Class<?> asking) throws Throwable {
    MethodHandle[] h = HANDLES.get(asking);
    if (h == null) {
      return -1;
    }
    Object context = (Object) h[0].invokeExact();
    return context == null ? -1 : (int) h[1].invokeExact(context);
  }
}
