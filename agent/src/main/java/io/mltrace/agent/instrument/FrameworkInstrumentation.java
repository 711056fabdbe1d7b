package io.mltrace.agent.instrument;

import java.util.List;

/** One instrumented library: its name (for messages), the packages it owns, and its hooks. */
public interface FrameworkInstrumentation {
  /** A short name for log lines, such as {@code djl}. */
  String name();

  /**
   * Name prefixes of the library's own packages (for example {@code ai.djl.}): the other libraries' hooks never
   * look at a type there. Its own family hooks (every implementation of an interface) still see every other
   * package, where a user's iterator or translator lives.
   */
  default List<String> ownPackages() {
    return List.of();
  }

  /**
   * Name prefixes of packages no hook of any library can match (a library's generated op classes, its native
   * bindings, shaded copies): a class there is rejected by its name before Byte Buddy sees it.
   */
  default List<String> unhookedPackages() {
    return List.of();
  }

  /**
   * Name prefixes a hook names explicitly (a custom span's class pattern): admitted even inside another
   * library's {@link #unhookedPackages}.
   */
  default List<String> namedPackages() {
    return List.of();
  }

  /**
   * The supertypes of its family hooks ({@link Hook#onSubtypesOf}), by name: a class outside the library's packages
   * with none of them among its supertypes is no hook's. A constant list, so that the weaving cache can use it without
   * evaluating {@link #hooks()}; a test checks it against them.
   */
  default List<String> familySupertypes() {
    return List.of();
  }

  /** The hooks; evaluated once at install time. */
  List<Hook> hooks();

  /**
   * Called once per class loader, when the first of the library's hooks applies to a class it loads: the library
   * is there. Runs on the thread that loads that class, inside its transformation: it must not load classes (defer
   * that to first use) and must not throw.
   */
  default void applied(ClassLoader loader) {}
}
