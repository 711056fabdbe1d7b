package io.mltrace.agent.instrument;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps a class being loaded away from Byte Buddy when its name alone says no hook can match it. The JVM calls every
 * transformer for every class it loads; Byte Buddy would build a type description and run its ignore matchers for
 * each, on the loading thread, while its own code is still interpreted. Here a string comparison answers for the
 * JDK's classes, the agent's, and the libraries' and frameworks' packages without hooks.
 */
final class NamePrefilter implements ClassFileTransformer {
  private final ClassFileTransformer byteBuddy;
  /** In the JVM's internal form ({@code java/}). */
  private final String[] rejected;
  /** Admitted even inside a rejected package (a custom span's class pattern). */
  private final String[] named;
  private final LongAdder admitted = new LongAdder();
  private final LongAdder changed = new LongAdder();
  private final LongAdder nanos = new LongAdder();

  NamePrefilter(ClassFileTransformer byteBuddy, List<String> rejected, List<String> named) {
    this.byteBuddy = byteBuddy;
    this.rejected = internal(rejected);
    this.named = internal(named);
  }

  private static String[] internal(List<String> prefixes) {
    // A loop, not a stream: premain runs it, and the stream's classes and lambdas cost a cold JVM a few ms (issue 22).
    java.util.LinkedHashSet<String> distinct = new java.util.LinkedHashSet<>();
    for (String p : prefixes) {
      distinct.add(p.replace('.', '/'));
    }
    return distinct.toArray(new String[0]);
  }

  boolean admits(String internalName) {
    if (internalName == null) { // a hidden class (lambda forms and the like): no hook names one
      return false;
    }
    return startsWithAny(internalName, named) || !startsWithAny(internalName, rejected);
  }

  private static boolean startsWithAny(String name, String[] prefixes) {
    for (String prefix : prefixes) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
  @Override
  public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
      byte[] classFile) throws IllegalClassFormatException {
    if (!admits(className)) {
      return null;
    }
    long start = System.nanoTime();
    byte[] woven = null;
    try {
      return woven = byteBuddy.transform(loader, className, redefined, domain, classFile);
    } finally {
      count(start, woven);
    }
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
      ProtectionDomain domain, byte[] classFile) throws IllegalClassFormatException {
    if (!admits(className)) {
      return null;
    }
    long start = System.nanoTime();
    byte[] woven = null;
    try {
      return woven = byteBuddy.transform(module, loader, className, redefined, domain, classFile);
    } finally {
      count(start, woven);
    }
  }

  private void count(long start, byte[] woven) {
    nanos.add(System.nanoTime() - start);
    admitted.increment();
    if (woven != null) {
      changed.increment();
    }
  }

  /**
   * For the start-up log: what passed the names (to the weaving cache or Byte Buddy), and what it cost the threads
   * that loaded those classes.
   */
  String report() {
    return String.format(Locale.ROOT, "%d classes reached the weaving, %d woven, %.1f ms on the loading threads",
        admitted.sum(), changed.sum(), nanos.sum() / 1e6);
  }
}
