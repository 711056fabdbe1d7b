package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.named;

import java.lang.annotation.Annotation;
import java.util.LinkedHashMap;
import java.util.Map;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * One advice applied to the methods of some types.
 *
 * <p>Build with {@link #on(String)} (one named type) or {@link #onTypes(String, ElementMatcher)} (a family, such as
 * every subclass), then {@link #methods}, and the advice: a span of a fixed kind and name ({@link #span},
 * {@link #stepPart}), a root span outside steps ({@link #root}) or an advice class of its own ({@link #advice}).
 * What the advice needs from the framework is not declared here: the installer reads it from the advice's bytecode
 * ({@link AdviceReferences}).
 */
public final class Hook {
  final String typeLabel;
  final ElementMatcher<? super TypeDescription> types;
  /** The supertype a family hook matches below ({@link #onSubtypesOf}); null for the other hooks. */
  final String family;
  ElementMatcher<? super MethodDescription> methods;
  String methodsLabel = "?";
  String adviceClass;
  /** Values bound to the advice's custom annotations ({@code Advice.withCustomMapping()}), annotation → value. */
  final Map<Class<? extends Annotation>, Object> bindings = new LinkedHashMap<>();

  private Hook(String typeLabel, ElementMatcher<? super TypeDescription> types, String family) {
    this.typeLabel = typeLabel;
    this.types = types;
    this.family = family;
  }

  /** A hook on the class or interface with this exact name. */
  public static Hook on(String typeName) {
    return new Hook(typeName, named(typeName), null);
  }

  /**
   * A hook on every type the matcher accepts, which must accept only names under its library's
   * {@link FrameworkInstrumentation#ownPackages} or {@link FrameworkInstrumentation#namedPackages}: the weaving cache
   * answers a class elsewhere without Byte Buddy when none of its supertypes is a family's ({@link #onSubtypesOf}).
   * {@code label} names the types in log lines. {@code PreparedHooksTest} reads every such matcher's description for
   * a name test first.
   */
  public static Hook onTypes(String label, ElementMatcher<? super TypeDescription> types) {
    return new Hook(label, types, null);
  }

  /**
   * A hook on types below {@code superType} (a class or interface, by name) that the matcher accepts, in any package:
   * a job's own iterator or loss. The library lists {@code superType} in
   * {@link FrameworkInstrumentation#familySupertypes}.
   */
  public static Hook onSubtypesOf(String superType, String label, ElementMatcher<? super TypeDescription> types) {
    return new Hook(label, types, superType);
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

  /** The advice is a span of {@code kind} ({@code io.mltrace.bootstrap.Kind}) named {@code name}. */
  public Hook span(int kind, String name) {
    return spanAdvice(kind, name, false);
  }

  /** As {@link #span}, and on a training loop's thread the span opens the step when none is open. */
  public Hook stepPart(int kind, String name) {
    return spanAdvice(kind, name, true);
  }

  /**
   * The advice is a root span of {@code kind} named {@code name} outside any training step ({@code
   * Recorder.enterRoot}): an inference or evaluation call, which a training loop may run between two iterations
   * without it counting in either.
   */
  public Hook root(int kind, String name) {
    return rootAdvice(kind, name, false);
  }

  /**
   * As {@link #root}, but inside an open span (a phase of a step, another root) the call records nothing and its
   * ops stay that span's: for a call a loop also makes in every step, where a span would cost a record for nothing.
   */
  public Hook rootOutsideSpans(int kind, String name) {
    return rootAdvice(kind, name, true);
  }

  private Hook rootAdvice(int kind, String name, boolean outsideSpansOnly) {
    return advice(RootAdvice.class).bind(BoundKind.class, kind).bind(BoundName.class, name)
        .bind(OutsideSpansOnly.class, outsideSpansOnly);
  }

  private Hook spanAdvice(int kind, String name, boolean opensStep) {
    return advice(SpanAdvice.class).bind(BoundKind.class, kind).bind(BoundName.class, name)
        .bind(OpensStep.class, opensStep);
  }

  /** Binds {@code value} to the advice parameters annotated with {@code annotation} (a constant per hook). */
  public Hook bind(Class<? extends Annotation> annotation, Object value) {
    bindings.put(annotation, value);
    return this;
  }

  String label() {
    return typeLabel + "." + methodsLabel;
  }
}
