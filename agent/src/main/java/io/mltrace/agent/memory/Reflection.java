package io.mltrace.agent.memory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reflective reads of a framework's objects for the model's memory holders ({@link io.mltrace.bootstrap.ModelMemory}):
 * the agent's loader may not see the framework (it is the job's), and the holders are read every so many steps,
 * so reflection through the object's own class is both the safe and a cheap enough way. Members are looked up once
 * per class and cached.
 */
public final class Reflection {
  /**
   * Members by name, per class: a lookup reads the class's map, with no key built per call. Why it matters: a reading
   * makes some 50 calls on the training thread every 64 steps, too rarely for the JIT to compile them (issue 22).
   */
  private static final ClassValue<Map<String, Method>> METHODS = new ClassValue<>() {
    @Override
    protected Map<String, Method> computeValue(Class<?> c) {
      return new ConcurrentHashMap<>();
    }
  };
  private static final ClassValue<Map<String, Field>> FIELDS = new ClassValue<>() {
    @Override
    protected Map<String, Field> computeValue(Class<?> c) {
      return new ConcurrentHashMap<>();
    }
  };
  /** Cached "absent" (a member a class does not have). */
  private static final Method NO_METHOD;
  private static final Field NO_FIELD;

  static {
    try {
      NO_METHOD = Object.class.getMethod("hashCode");
      NO_FIELD = Absent.class.getDeclaredField("none");
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final class Absent {
    @SuppressWarnings("unused")
    private int none;
  }

  private Reflection() {}

  /** The result of the public no-argument method {@code name} of {@code target}; null when it has none. */
  public static Object call(Object target, String name) throws ReflectiveOperationException {
    if (target == null) {
      return null;
    }
    Method m = cachedMethod(target.getClass(), name);
    return m == NO_METHOD ? null : m.invoke(target);
  }

  /**
   * True when {@code target}'s class has a public no-argument method {@code name}. Cached as {@link #call} is: a
   * method the class lacks costs a {@code NoSuchMethodException} per class and interface searched, which made this
   * half of the DL4J model reading's time on the training thread (0.25 % of a 3000-step job's, by profile).
   */
  public static boolean has(Object target, String name) {
    return target != null && cachedMethod(target.getClass(), name) != NO_METHOD;
  }

  private static Method cachedMethod(Class<?> c, String name) {
    Map<String, Method> byName = METHODS.get(c);
    Method m = byName.get(name);
    if (m == null) {
      Method found = publicMethod(c, name);
      m = found == null ? NO_METHOD : found;
      byName.put(name, m);
    }
    return m;
  }

  /** The value of the field {@code name} declared by {@code target}'s class or a superclass; null when none. */
  public static Object field(Object target, String name) throws IllegalAccessException {
    if (target == null) {
      return null;
    }
    Class<?> c = target.getClass();
    Map<String, Field> byName = FIELDS.get(c);
    Field f = byName.get(name);
    if (f == null) {
      f = declaredField(c, name);
      byName.put(name, f);
    }
    return f == NO_FIELD ? null : f.get(target);
  }

  private static Field declaredField(Class<?> c, String name) {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      try {
        Field found = k.getDeclaredField(name);
        found.setAccessible(true);
        return found;
      } catch (NoSuchFieldException | RuntimeException e) {
        // the superclass, or absent
      }
    }
    return NO_FIELD;
  }

  /** Every field value of {@code target} (its class and superclasses) that is a {@link Map}. */
  public static java.util.List<Map<?, ?>> mapFields(Object target) throws IllegalAccessException {
    java.util.List<Map<?, ?>> maps = new java.util.ArrayList<>();
    for (Class<?> c = target.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Map.class.isAssignableFrom(f.getType()) && !java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
          f.setAccessible(true);
          Object v = f.get(target);
          if (v != null) {
            maps.add((Map<?, ?>) v);
          }
        }
      }
    }
    return maps;
  }

  /**
   * A public method callable through its declaring public type: the runtime class may be package-private (an
   * implementation), so the method is taken from the first public class or interface that declares it. Null when
   * there is none. For callers that cache per class themselves (a {@link ClassValue}).
   */
  public static Method publicMethod(Class<?> c, String name) {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      Method m = fromPublicType(k, name);
      if (m != null) {
        return m;
      }
    }
    return null;
  }

  private static Method fromPublicType(Class<?> k, String name) {
    if (java.lang.reflect.Modifier.isPublic(k.getModifiers())) {
      try {
        return k.getMethod(name);
      } catch (NoSuchMethodException e) {
        // look in its interfaces
      }
    }
    for (Class<?> i : k.getInterfaces()) {
      Method m = fromPublicType(i, name);
      if (m != null) {
        return m;
      }
    }
    return null;
  }
}
