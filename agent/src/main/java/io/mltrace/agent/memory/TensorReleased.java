package io.mltrace.agent.memory;

import io.mltrace.bootstrap.TensorLife;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * Installs the frameworks' own "already freed" test for {@link TensorLife} ({@code installReleasedCheck}): DJL's
 * {@code NativeResource.isReleased()}, ND4J's {@code DataBuffer.wasClosed()}, found by name on the tensor's class
 * (the agent does not load either framework), a method handle per class. Asked only in steps that capture creation
 * sites; a class with neither method, or a call that fails, says "not freed".
 */
public final class TensorReleased {
  private static final String[] NAMES = {"isReleased", "wasClosed"};
  private static final MethodType BOOLEAN = MethodType.methodType(boolean.class, Object.class);

  private static final ClassValue<MethodHandle> CHECKS = new ClassValue<>() {
    @Override
    protected MethodHandle computeValue(Class<?> type) {
      for (String name : NAMES) {
        try {
          Method m = type.getMethod(name);
          if (m.getReturnType() == boolean.class) {
            return MethodHandles.publicLookup().unreflect(m).asType(BOOLEAN);
          }
        } catch (ReflectiveOperationException | RuntimeException e) {
          // try the next name
        }
      }
      return null;
    }
  };

  /** Installs the test. */
  public static void install() {
    TensorLife.installReleasedCheck(TensorReleased::released);
  }

  static boolean released(Object tensor) {
    MethodHandle check = CHECKS.get(tensor.getClass());
    if (check == null) {
      return false;
    }
    try {
      return (boolean) check.invokeExact(tensor);
    } catch (Throwable t) {
      return false;
    }
  }

  private TensorReleased() {}
}
