package io.mltrace.bootstrap;

import java.util.Optional;

/**
 * The creation site of a tensor: the first frame of the calling thread's stack outside the frameworks and the JDK,
 * as {@code Class.method(File:line)}. A stack walk costs microseconds, so only detailed steps (and on-demand
 * memory windows) take it; counted steps never do.
 */
final class CreationSites {
  /**
   * Frames of these classes and packages are never the site: the frameworks, their native bindings, the JDK, and
   * the bridge's tensor classes (advice is inlined into the frameworks' own methods: no other agent frame shows).
   */
  private static final String[] SKIPPED = {"ai.djl.", "org.nd4j.", "org.deeplearning4j.", "org.bytedeco.",
      "java.", "javax.", "jdk.", "sun.", "com.sun."};
  private static final String[] SKIPPED_CLASSES = {"io.mltrace.bootstrap.TensorLife",
      "io.mltrace.bootstrap.StepTensors", "io.mltrace.bootstrap.CreationSites"};
  /** Said when every frame is a framework's (a framework thread of its own). */
  static final String UNKNOWN = "(framework)";
  private static final StackWalker WALKER = StackWalker.getInstance();

  private CreationSites() {}

  /** The calling thread's creation site. */
  static String here() {
    try {
      Optional<String> site = WALKER.walk(frames -> frames
          .filter(f -> !skipped(f.getClassName()))
          .findFirst()
          .map(CreationSites::format));
      return site.orElse(UNKNOWN);
    } catch (RuntimeException e) {
      return UNKNOWN;
    }
  }

  static boolean skipped(String className) {
    for (String p : SKIPPED) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    for (String c : SKIPPED_CLASSES) {
      if (className.startsWith(c) && (className.length() == c.length() || className.charAt(c.length()) == '$')) {
        return true;
      }
    }
    return false;
  }

  private static String format(StackWalker.StackFrame f) {
    String file = f.getFileName();
    int line = f.getLineNumber();
    return f.getClassName() + "." + f.getMethodName() + "(" + (file == null ? "Unknown Source" : file)
        + (line >= 0 ? ":" + line : "") + ")";
  }
}
