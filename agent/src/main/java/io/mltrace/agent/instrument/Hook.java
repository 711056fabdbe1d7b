package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.named;

import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * One advice applied to the methods of some types, with the references its advice needs.
 *
 * <p>Build with {@link #on(String)} (one named type) or {@link #onTypes(String, ElementMatcher)} (a family, such as
 * every subclass), then {@link #methods}, {@link #advice}, and any {@link #requires} references.
 */
public final class Hook {
  final String typeLabel;
  final ElementMatcher<? super TypeDescription> types;
  ElementMatcher<? super MethodDescription> methods;
  String methodsLabel = "?";
  String adviceClass;
  final List<String[]> references = new ArrayList<>();
  /** Values bound to the advice's custom annotations ({@code Advice.withCustomMapping()}), annotation → value. */
  final java.util.Map<Class<? extends java.lang.annotation.Annotation>, Object> bindings =
      new java.util.LinkedHashMap<>();

  private Hook(String typeLabel, ElementMatcher<? super TypeDescription> types) {
    this.typeLabel = typeLabel;
    this.types = types;
  }

  /** A hook on the class or interface with this exact name. */
  public static Hook on(String typeName) {
    return new Hook(typeName, named(typeName));
  }

  /** A hook on every type the matcher accepts; {@code label} names the family in log lines. */
  public static Hook onTypes(String label, ElementMatcher<? super TypeDescription> types) {
    return new Hook(label, types);
  }

  /** The methods to advise; {@code label} names them in log lines (for example {@code linear(3)}). */
  public Hook methods(String label, ElementMatcher<? super MethodDescription> matcher) {
    this.methodsLabel = label;
    this.methods = matcher;
    return this;
  }

  /** The advice class, by name so that it is never loaded by the agent's loader. */
  public Hook advice(Class<?> advice) {
    this.adviceClass = advice.getName();
    return this;
  }

  /** The advice calls {@code method} (any signature) on {@code typeName}: both must exist in the target's loader. */
  public Hook requires(String typeName, String method) {
    references.add(new String[] {typeName, method});
    return this;
  }

  /** The advice uses the type {@code typeName}: it must exist in the target's loader. */
  public Hook requires(String typeName) {
    references.add(new String[] {typeName, null});
    return this;
  }

  /** Binds {@code value} to the advice parameters annotated with {@code annotation} (a constant per hook). */
  public Hook bind(Class<? extends java.lang.annotation.Annotation> annotation, Object value) {
    bindings.put(annotation, value);
    return this;
  }

  String label() {
    return typeLabel + "." + methodsLabel;
  }
}
