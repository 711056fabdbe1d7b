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
 */
final class CachedWeaving implements ClassFileTransformer {
  private final WovenCache cache;
  private final Supplier<ClassFileTransformer> byteBuddy;
  private final Installer installer;
  private final LongAdder fromCache = new LongAdder();
  private final LongAdder byByteBuddy = new LongAdder();

  CachedWeaving(WovenCache cache, Supplier<ClassFileTransformer> byteBuddy, Installer installer) {
    this.cache = cache;
    this.byteBuddy = byteBuddy;
    this.installer = installer;
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

  /** For the start-up log. */
  String report() {
    return String.format(Locale.ROOT, "weaving cache %s: %d classes from it, %d through Byte Buddy, %d stored",
        cache.folder(), fromCache.sum(), byByteBuddy.sum(), cache.stored());
  }
}
