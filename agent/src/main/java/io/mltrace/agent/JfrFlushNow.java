package io.mltrace.agent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * JFR's own once-a-second flush, on demand: writes every thread's event buffer to the recording's chunk and wakes
 * the streams that read it, as JFR's periodic task does (JDK 17 and 21: {@code MetadataRepository.flush()} then
 * {@code Utils.notifyFlush()}; JDK 25: the recorder's {@code flush()} and {@code util.Utils.notifyFlush()}; each
 * found by what the running JDK has, not by its version).
 * At a job's end the agent's stream then delivers its last events itself, where it otherwise dumped the whole
 * recording and parsed it again (issue 22: the JDK's public API has no flush, and a rotation does not wake a JDK 17
 * stream). The methods are internal to {@code jdk.jfr}: their packages are exported to this class's module through
 * {@link Instrumentation#redefineModule}, at the first flush. That module is the class path's unnamed module, which
 * the application's classes share: they too may then reach {@code jdk.jfr.internal} reflectively, which takes nothing
 * from them. Where any piece is missing (another JDK's internals) the flush is unavailable and the caller dumps as
 * before.
 */
final class JfrFlushNow implements java.util.function.BooleanSupplier {
  private final Instrumentation inst;
  private Method flush;
  private Object flushTarget;
  private Method notifyFlush;
  private boolean opened;
  private boolean usable;

  private JfrFlushNow(Instrumentation inst) {
    this.inst = inst;
  }

  /** A flush for {@code JfrSource.finish}; resolved at its first use. */
  static java.util.function.BooleanSupplier lazy(Instrumentation inst) {
    return new JfrFlushNow(inst);
  }

  /** Flushes and wakes the streams; false (and never again true) where this JDK's internals do not allow it. */
  @Override
  public synchronized boolean getAsBoolean() {
    try {
      if (!opened) {
        opened = true;
        usable = open();
      }
      if (!usable) {
        return false;
      }
      flush.invoke(flushTarget);
      notifyFlush.invoke(null);
      return true;
    } catch (Throwable t) {
      usable = false;
      return false;
    }
  }

  private boolean open() throws ReflectiveOperationException {
    Optional<Module> jfr = ModuleLayer.boot().findModule("jdk.jfr");
    if (jfr.isEmpty() || !inst.isModifiableModule(jfr.get())) {
      return false;
    }
    Module module = jfr.get();
    Map<String, Set<Module>> exports = new java.util.HashMap<>();
    for (String p : new String[] {"jdk.jfr.internal", "jdk.jfr.internal.util"}) {
      if (module.getPackages().contains(p)) {
        exports.put(p, Set.of(JfrFlushNow.class.getModule()));
      }
    }
    inst.redefineModule(module, Set.of(), exports, Map.of(), Set.of(), Map.of());
    Class<?> recorder = find("jdk.jfr.internal.PlatformRecorder");
    Method recorderFlush = recorder == null ? null : publicMethod(recorder, "flush");
    if (recorderFlush != null) {
      // Newer JDKs (25): the recorder's flush, which holds the recorder's lock against a chunk rotation.
      Class<?> access = find("jdk.jfr.internal.PrivateAccess");
      flushTarget = access.getMethod("getPlatformRecorder").invoke(access.getMethod("getInstance").invoke(null));
      flush = recorderFlush;
    } else {
      // JDK 17 to 21: what JFR's periodic task calls, outside the recorder's lock, as here.
      Class<?> repository = find("jdk.jfr.internal.MetadataRepository");
      flushTarget = repository.getMethod("getInstance").invoke(null);
      flush = repository.getMethod("flush");
    }
    Class<?> utils = find("jdk.jfr.internal.util.Utils");
    Method notify = utils == null ? null : publicMethod(utils, "notifyFlush");
    notifyFlush = notify != null ? notify : find("jdk.jfr.internal.Utils").getMethod("notifyFlush");
    return true;
  }

  private static Class<?> find(String name) {
    try {
      return Class.forName(name, false, null);
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  private static Method publicMethod(Class<?> c, String name) {
    try {
      return c.getMethod(name);
    } catch (NoSuchMethodException e) {
      return null;
    }
  }
}
