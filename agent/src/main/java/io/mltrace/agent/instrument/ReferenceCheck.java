package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.hasDescriptor;
import static net.bytebuddy.matcher.ElementMatchers.hasMethodName;
import static net.bytebuddy.matcher.ElementMatchers.named;

import io.mltrace.agent.instrument.AdviceReferences.Reference;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.pool.TypePool;

/**
 * Checks an advice's {@link AdviceReferences} against the classes one target loader sees, through a type pool
 * that reads class files and never loads a class: a method or field must exist with the same name and descriptor
 * in the referenced type or one of its super types (where the JVM's resolution would find it).
 */
final class ReferenceCheck {
  private ReferenceCheck() {}

  /** Null when every reference resolves in {@code pool}; otherwise the first one missing, for one log line. */
  static String firstMissing(List<Reference> references, TypePool pool) {
    for (Reference ref : references) {
      TypePool.Resolution r = pool.describe(ref.type());
      if (!r.isResolved()) {
        return "class " + ref.type() + " not found";
      }
      if (ref.member() != null && !declaredInHierarchy(r.resolve(), ref)) {
        return ref.describe() + " not found";
      }
    }
    return null;
  }

  private static boolean declaredInHierarchy(TypeDescription type, Reference ref) {
    Deque<TypeDescription> todo = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    todo.add(type);
    while (!todo.isEmpty()) {
      TypeDescription t = todo.poll();
      if (!seen.add(t.getName())) {
        continue;
      }
      try {
        if (declares(t, ref)) {
          return true;
        }
        if (t.getSuperClass() != null) {
          todo.add(t.getSuperClass().asErasure());
        }
        for (TypeDescription.Generic i : t.getInterfaces()) {
          todo.add(i.asErasure());
        }
      } catch (RuntimeException unresolvable) {
        // A super type the loader cannot see: the JVM could not link through it either; keep looking elsewhere.
      }
    }
    return false;
  }

  private static boolean declares(TypeDescription t, Reference ref) {
    if (ref.field()) {
      return !t.getDeclaredFields().filter(named(ref.member()).and(hasDescriptor(ref.descriptor()))).isEmpty();
    }
    return !t.getDeclaredMethods().filter(hasMethodName(ref.member()).and(hasDescriptor(ref.descriptor())))
        .isEmpty();
  }
}
