package io.mltrace.agent.djl;

import io.mltrace.agent.memory.Reflection;
import io.mltrace.bootstrap.TensorLife;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * Labels a DJL {@code NDManager}, the holder of a step's surviving arrays: by its name where DJL or the user named it
 * (DJL's own: {@code trainer}, {@code batch}, {@code dataIter}, {@code ptModel}...), else as
 * {@code (unnamed under <the nearest named parent>)}: an unnamed manager's name is made up ({@code uid-...}) and
 * means nothing to anyone.
 * Through reflection, by the manager's own class: DJL may sit in a class loader the agent's classes cannot see.
 * Runs on the training thread at a detailed step's close, for each of the step's holders (a few). Returns null
 * (unnamed) rather than throw.
 */
final class DjlManagerLabels implements TensorLife.HolderLabels {
  /** Parents looked at above an unnamed manager before giving up. */
  private static final int MAX_PARENTS = 4;
  /**
   * Per manager class: its {@code getName()} and {@code getParentManager()} as method handles typed
   * {@code (Object)Object} (an entry null when absent), looked up once. Interpreted, a label still costs
   * microseconds, which is why only detailed steps are split by holder ({@code StepTensors}).
   */
  private static final ClassValue<MethodHandle[]> METHODS = new ClassValue<>() {
    @Override
    protected MethodHandle[] computeValue(Class<?> c) {
      return new MethodHandle[] {handle(c, "getName"), handle(c, "getParentManager")};
    }
  };

  private static MethodHandle handle(Class<?> c, String name) {
    Method m = Reflection.publicMethod(c, name);
    if (m == null) {
      return null;
    }
    try {
      return MethodHandles.publicLookup().unreflect(m).asType(MethodType.methodType(Object.class, Object.class));
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public String label(Object manager) {
    try {
      Object m = manager;
      for (int depth = 0; m != null && depth <= MAX_PARENTS; depth++) {
        MethodHandle[] methods = METHODS.get(m.getClass());
        Object name = methods[0] == null ? null : (Object) methods[0].invokeExact(m);
        if (name instanceof String && !isGenerated((String) name)) {
          return depth == 0 ? (String) name : "(unnamed under " + name + ")";
        }
        m = methods[1] == null ? null : (Object) methods[1].invokeExact(m);
      }
      return "(unnamed)";
    } catch (Throwable e) {
      return null; // a getter that throws: unnamed, never into the application
    }
  }

  /**
   * A name DJL made up for an unnamed manager: {@code uid-<digits>-<digits>} (the PyTorch engine's) or a
   * {@code UUID.randomUUID()} string (8-4-4-4-12 hexadecimal digits).
   */
  static boolean isGenerated(String s) {
    if (s.startsWith("uid-")) {
      for (int i = 4; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c != '-' && (c < '0' || c > '9')) {
          return false;
        }
      }
      return true;
    }
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
