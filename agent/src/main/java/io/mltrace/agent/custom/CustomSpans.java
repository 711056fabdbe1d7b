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
  /** Each entry as {class pattern, method pattern, category}, checked. */
  private final List<String[]> entries;
  /** What each entry's class pattern starts with, up to its first wildcard. */
  private final List<String> prefixes;
  /**
   * Built at the first {@link #hooks()}: Byte Buddy's matchers and their regular expressions cost 10-20 ms of premain
   * (issue 22), and a JVM whose classes all come from the weaving cache never asks for them.
   */
  private List<Hook> hooks;

  private CustomSpans(String name, List<String[]> entries, List<String> prefixes) {
    this.name = name;
    this.entries = entries;
    this.prefixes = prefixes;
  }

  /**
   * Spans the agent itself defines in the same syntax (a framework's phases that no step hook covers), under their
   * own framework {@code name}. Throws on a bad entry: a built-in list is the agent's own code.
   */
  public static CustomSpans builtIn(String name, String entries) {
    CustomSpans parsed = parse(entries);
    return new CustomSpans(name, parsed.entries, parsed.prefixes);
  }

  /**
   * The hooks of an option value. Throws {@link IllegalArgumentException} with a message naming the bad entry and
   * what is accepted; the caller reports it on one line and leaves custom spans off.
   */
  public static CustomSpans parse(String value) {
    List<String[]> entries = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return new CustomSpans("custom", entries, prefixes);
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
      if (!CATEGORIES.containsKey(category)) {
        throw new IllegalArgumentException("entry '" + entry + "': category must be one of "
            + String.join(", ", CATEGORIES.keySet()));
      }
      if (!namePattern(type, true) || !namePattern(method, false)) {
        throw new IllegalArgumentException("entry '" + entry + "': class and method may hold letters, digits, "
            + "'.', '$', '_' and the wildcard '*'");
      }
      entries.add(new String[] {type, method, category});
      prefixes.add(type.indexOf('*') < 0 ? type : type.substring(0, type.indexOf('*')));
    }
    return new CustomSpans("custom", entries, prefixes);
  }

  /**
   * True when {@code s} holds only word characters ({@code [A-Za-z0-9_]}, as the regular expression {@code \w}
   * reads them), {@code $}, {@code *} and, in a class pattern, {@code .}; and at least one of them.
   */
  static boolean namePattern(String s, boolean dots) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
          || c == '*' || dots && c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
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
    return entries.size();
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
  public synchronized List<Hook> hooks() {
    if (hooks == null) {
      List<Hook> built = new ArrayList<>();
      for (String[] e : entries) {
        built.add(Hook.onTypes("spans " + e[0], nameMatches(glob(e[0])).and(not(isInterface())))
            .methods(e[1] + ":" + e[2], isMethod().and(nameMatches(glob(e[1]))).and(not(isAbstract()))
                .and(not(isNative())))
            .advice(CustomSpanAdvice.class)
            .bind(BoundKind.class, CATEGORIES.get(e[2])));
      }
      hooks = List.copyOf(built);
    }
    return hooks;
  }
}
