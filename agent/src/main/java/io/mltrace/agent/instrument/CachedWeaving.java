package io.mltrace.agent.instrument;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.IllegalClassFormatException;
import java.security.ProtectionDomain;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Answers a class being loaded from the {@link WovenCache} when an earlier JVM of the same plan wove it (or left
 * it unchanged), and otherwise hands it to Byte Buddy and keeps what came out. Byte Buddy's transformer is asked
 * for only on a miss: with a warm cache it is never built.
 *
 * <p>A miss that no hook can match is answered without Byte Buddy too: a class outside every hooked library's
 * packages and every name a hook gives, none of whose supertypes is a family hook's ({@link Hook#onSubtypesOf}); its
 * supertypes are read from class file headers through its loader ({@link ClassHeader}), up the hierarchy until the
 * platform's {@code java/} types. Why: the job's own classes (its main class, its dataset, its model) change with each
 * edit, and each new one was a miss that built Byte Buddy on the thread loading it (1.2 s of a 3-step job whose main
 * class was new, measured) to say "unchanged".
 */
final class CachedWeaving implements ClassFileTransformer {
  private final WovenCache cache;
  private final Supplier<ClassFileTransformer> byteBuddy;
  private final Installer installer;
  /** At most this many supertypes are read for one class; a deeper hierarchy is left to Byte Buddy. */
  static final int MAX_SUPERTYPES_READ = 64;

  /** Internal names a hook may match by name alone: the hooked libraries' packages, the names hooks give. */
  private final String[] hookedNames;
  /** The family hooks' supertypes, internal names. */
  private final java.util.Set<String> families = new java.util.HashSet<>();
  private final LongAdder fromCache = new LongAdder();
  private final LongAdder byByteBuddy = new LongAdder();
  private final LongAdder bySupertypes = new LongAdder();

  /**
   * @param hookedNames name prefixes ({@code ai.djl.}) that no class is answered for by its supertypes alone
   * @param families the family hooks' supertypes ({@code ai.djl.training.loss.Loss}): a class below one goes to
   *     Byte Buddy
   */
  CachedWeaving(WovenCache cache, Supplier<ClassFileTransformer> byteBuddy, Installer installer,
      java.util.List<String> hookedNames, java.util.List<String> families) {
    this.cache = cache;
    this.byteBuddy = byteBuddy;
    this.installer = installer;
    this.hookedNames = new String[hookedNames.size()];
    for (int i = 0; i < this.hookedNames.length; i++) {
      this.hookedNames[i] = hookedNames.get(i).replace('.', '/');
    }
    for (String f : families) {
      this.families.add(f.replace('.', '/'));
    }
  }

  @Override
  public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
      byte[] classFile) throws IllegalClassFormatException {
    return transform(null, loader, className, redefined, domain, classFile);
  }

  @Override
  public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
      ProtectionDomain domain, byte[] classFile) throws IllegalClassFormatException {
    String key = WovenCache.key(className, classFile);
    WovenCache.Entry e = cache.lookup(key);
    if (e != null) {
      byte[] woven = e.woven() ? cache.read(key, e) : null;
      if (!e.woven() || woven != null) {
        fromCache.increment();
        installer.replay(e.frameworks(), e.notes(), loader);
        return woven;
      }
    }
    if (className != null && !namedByAHook(className) && noFamilyAbove(loader, classFile)) {
      bySupertypes.increment();
      cache.store(key, null, "", "");
      return null;
    }
    ClassFileTransformer t = byteBuddy.get();
    if (t == null) {
      return null;
    }
    byByteBuddy.increment();
    Installer.Outcome o = installer.beginTransform();
    byte[] woven;
    try {
      woven = module == null ? t.transform(loader, className, redefined, domain, classFile)
          : t.transform(module, loader, className, redefined, domain, classFile);
    } finally {
      installer.endTransform();
    }
    if (!o.error) {
      cache.store(key, woven, o.frameworks(), o.notes());
    }
    return woven;
  }

  /**
   * True when none of the class's supertypes is a family hook's, read through {@code loader}; false when one is,
   * or when one cannot be read (then Byte Buddy decides, as it would have).
   */
  private boolean noFamilyAbove(ClassLoader loader, byte[] classFile) {
    String[] direct = ClassHeader.supertypes(classFile);
    if (direct == null) {
      return false;
    }
    java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(java.util.Arrays.asList(direct));
    java.util.Set<String> seen = new java.util.HashSet<>();
    int read = 0;
    while (!todo.isEmpty()) {
      String type = todo.poll();
      if (ClassHeader.inJavaPackage(type) || !seen.add(type)) {
        continue; // the platform's types have only the platform's supertypes
      }
      if (families.contains(type) || loader == null || ++read > MAX_SUPERTYPES_READ) {
        return false;
      }
      String[] up;
      try (java.io.InputStream in = loader.getResourceAsStream(type + ".class")) {
        up = in == null ? null : ClassHeader.supertypes(in.readAllBytes());
      } catch (java.io.IOException | RuntimeException e) {
        up = null;
      }
      if (up == null) {
        return false;
      }
      todo.addAll(java.util.Arrays.asList(up));
    }
    return true;
  }

  private boolean namedByAHook(String internalName) {
    for (String prefix : hookedNames) {
      if (internalName.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** For the start-up log. */
  String report() {
    return String.format(Locale.ROOT, "weaving cache %s: %d classes from it, %d through Byte Buddy, %d stored, %d"
        + " unchanged by their supertypes", cache.folder(), fromCache.sum(), byByteBuddy.sum(), cache.stored(),
        bySupertypes.sum());
  }
}
