package io.mltrace.agent.custom;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.nameMatches;
import static net.bytebuddy.matcher.ElementMatchers.not;

import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.BoundKind;
import io.mltrace.agent.instrument.Hook;
import io.mltrace.bootstrap.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code spans} option: {@code CLASS#METHOD:CATEGORY[;...]}. {@code CLASS} is a fully qualified class name and
 * {@code METHOD} a method name; in both {@code *} stands for any run of characters (dots included). Every method of
 * a matching class with a matching name (constructors, abstract and native methods excepted) becomes a span named
 * {@code Class.method} of {@code CATEGORY}: {@code data} (a batch fetch: part of the step on a training thread),
 * {@code framework} (a phase: framework time, and the end of a step's input gap), or an op category
 * ({@code gemm}, {@code other_compute}, {@code memcpy}).
 */
public final class CustomSpans implements FrameworkInstrumentation {
  /** The categories a custom span may take, with the span kind each is recorded as. */
  static final Map<String, Integer> CATEGORIES = new LinkedHashMap<>();

  static {
    CATEGORIES.put("data", Kind.DATA);
    CATEGORIES.put("framework", Kind.PHASE);
    CATEGORIES.put("gemm", Kind.OP_GEMM);
    CATEGORIES.put("other_compute", Kind.OP_OTHER);
    CATEGORIES.put("memcpy", Kind.OP_COPY);
  }

  private final String name;
  private final List<Hook> hooks;
  /** What each entry's class pattern starts with, up to its first wildcard. */
  private final List<String> prefixes;

  private CustomSpans(String name, List<Hook> hooks, List<String> prefixes) {
    this.name = name;
    this.hooks = hooks;
    this.prefixes = prefixes;
  }

  /**
   * Spans the agent itself defines in the same syntax (a framework's phases that no step hook covers), under their
   * own framework {@code name}. Throws on a bad entry: a built-in list is the agent's own code.
   */
  public static CustomSpans builtIn(String name, String entries) {
    CustomSpans parsed = parse(entries);
    return new CustomSpans(name, parsed.hooks, parsed.prefixes);
  }

  /**
   * The hooks of an option value. Throws {@link IllegalArgumentException} with a message naming the bad entry and
   * what is accepted; the caller reports it on one line and leaves custom spans off.
   */
  public static CustomSpans parse(String value) {
    List<Hook> hooks = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return new CustomSpans("custom", hooks, prefixes);
    }
    for (String raw : value.split(";")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      int hash = entry.indexOf('#');
      int colon = entry.lastIndexOf(':');
      if (hash <= 0 || colon < hash + 2 || colon == entry.length() - 1) {
        throw new IllegalArgumentException("entry '" + entry + "' is not CLASS#METHOD:CATEGORY");
      }
      String type = entry.substring(0, hash);
      String method = entry.substring(hash + 1, colon);
      String category = entry.substring(colon + 1);
      Integer kind = CATEGORIES.get(category);
      if (kind == null) {
        throw new IllegalArgumentException("entry '" + entry + "': category must be one of "
            + String.join(", ", CATEGORIES.keySet()));
      }
      if (!type.matches("[\\w.$*]+") || !method.matches("[\\w$*]+")) {
        throw new IllegalArgumentException("entry '" + entry + "': class and method may hold letters, digits, "
            + "'.', '$', '_' and the wildcard '*'");
      }
      hooks.add(Hook.onTypes("spans " + type, nameMatches(glob(type)).and(not(isInterface())))
          .methods(method + ":" + category, isMethod().and(nameMatches(glob(method))).and(not(isAbstract()))
              .and(not(isNative())))
          .advice(CustomSpanAdvice.class)
          .bind(BoundKind.class, kind));
      prefixes.add(type.indexOf('*') < 0 ? type : type.substring(0, type.indexOf('*')));
    }
    return new CustomSpans("custom", hooks, prefixes);
  }

  /** A regular expression for a name pattern whose only special character is {@code *}. */
  static String glob(String pattern) {
    List<String> parts = new ArrayList<>();
    for (String part : pattern.split("\\*", -1)) {
      parts.add(part.isEmpty() ? "" : Pattern.quote(part));
    }
    return String.join(".*", parts);
  }

  /** How many entries the option named. */
  public int size() {
    return hooks.size();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<String> namedPackages() {
    return prefixes;
  }

  @Override
  public List<Hook> hooks() {
    return hooks;
  }
}
