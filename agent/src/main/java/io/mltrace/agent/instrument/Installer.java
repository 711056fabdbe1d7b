package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;

import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.JavaModule;

/** Installs the hooks of several frameworks with one Byte Buddy agent builder. */
public final class Installer {
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final Set<String> applied = new java.util.concurrent.ConcurrentSkipListSet<>();

  /** The frameworks with at least one hook applied so far, comma-separated (for example {@code djl}). */
  public String appliedFrameworks() {
    return String.join(",", applied);
  }
  private final ConcurrentMap<ClassLoader, TypePool.CacheProvider> poolCaches = new ConcurrentHashMap<>();
  /** One caching pool per class loader for the reference checks (the bootstrap loader under a marker key). */
  private final ConcurrentMap<Object, TypePool> referencePools = new ConcurrentHashMap<>();
  private static final Object BOOTSTRAP = new Object();

  /**
   * Installs every hook. Already-loaded classes are retransformed (the attach case); classes loaded later are
   * transformed as they load.
   */
  public ResettableClassFileTransformer install(Instrumentation inst, List<FrameworkInstrumentation> frameworks) {
    return install(inst, frameworks, true, Integer.MAX_VALUE,
        AgentBuilder.RedefinitionStrategy.Listener.NoOp.INSTANCE);
  }

  /**
   * As {@link #install(Instrumentation, List)}. With {@code retransformLoaded} (attach), already-loaded classes are
   * retransformed in batches of at most {@code batchSize}, each announced to {@code listener} (the attach path
   * times them); without (launch: no framework class is loaded yet), the loaded classes are not even visited.
   */
  public ResettableClassFileTransformer install(Instrumentation inst, List<FrameworkInstrumentation> frameworks,
      boolean retransformLoaded, int batchSize, AgentBuilder.RedefinitionStrategy.Listener listener) {
    AgentBuilder builder = new AgentBuilder.Default().disableClassFormatChanges();
    if (retransformLoaded) {
      builder = builder.with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
          .with(AgentBuilder.RedefinitionStrategy.BatchAllocator.ForFixedSize.ofSize(Math.max(1, batchSize)))
          .with(listener);
    }
    builder = builder
        .with(AgentBuilder.TypeStrategy.Default.DECORATE)
        // Type matchers that walk a hierarchy (every subclass of an interface) parse each class file once, not
        // once per class being loaded: without this cache, ND4J's thousands of op classes took seconds.
        .with(new AgentBuilder.PoolStrategy.WithTypePoolCache.Simple(TypePool.Default.ReaderMode.FAST, poolCaches))
        .with(new ErrorsOnce())
        // The agent's own classes are never instrumented; the example jobs (user code) are.
        .ignore(nameStartsWith("io.mltrace.").and(not(nameStartsWith("io.mltrace.examples.")))
            .or(nameStartsWith("java.")).or(nameStartsWith("jdk."))
            .or(nameStartsWith("sun.")).or(nameStartsWith("com.sun.")).or(nameStartsWith("net.bytebuddy.")));
    for (FrameworkInstrumentation f : frameworks) {
      for (Hook hook : f.hooks()) {
        builder = builder.type(hook.types).transform(new CheckedAdvice(f.name(), hook));
      }
    }
    return builder.installOn(inst);
  }

  /** Applies one hook after checking it against the loader of the type being transformed. */
  private final class CheckedAdvice implements AgentBuilder.Transformer {
    private final String framework;
    private final Hook hook;

    CheckedAdvice(String framework, Hook hook) {
      this.framework = framework;
      this.hook = hook;
    }

    @Override
    public DynamicType.Builder<?> transform(DynamicType.Builder<?> builder, TypeDescription type,
        ClassLoader loader, JavaModule module, ProtectionDomain domain) {
      String missing = missingReference(type, loader);
      if (missing != null) {
        skip(missing);
        return builder;
      }
      applied.add(framework);
      Advice.WithCustomMapping mapping = Advice.withCustomMapping();
      for (java.util.Map.Entry<Class<? extends java.lang.annotation.Annotation>, Object> b : hook.bindings.entrySet()) {
        mapping = mapping.bind(b.getKey(), b.getValue());
      }
      return new AgentBuilder.Transformer.ForAdvice(mapping)
          .include(Installer.class.getClassLoader())
          .advice(hook.methods, hook.adviceClass)
          .transform(builder, type, loader, module, domain);
    }

    /** Null when the hook can apply to this type in this loader; otherwise what is missing. */
    private String missingReference(TypeDescription type, ClassLoader loader) {
      if (type.getDeclaredMethods().filter(hook.methods).isEmpty() && !type.isInterface()
          && !type.isAbstract()) {
        return type.getName() + " has no method " + hook.methodsLabel;
      }
      TypePool pool = referencePools.computeIfAbsent(loader == null ? BOOTSTRAP : loader,
          k -> TypePool.Default.of(ClassFileLocator.ForClassLoader.of(loader)));
      for (String[] ref : hook.references) {
        TypePool.Resolution r = pool.describe(ref[0]);
        if (!r.isResolved()) {
          return "class " + ref[0] + " not found";
        }
        if (ref[1] != null && !hasMethod(r.resolve(), ref[1])) {
          return ref[0] + " has no method " + ref[1];
        }
      }
      return null;
    }

    private boolean hasMethod(TypeDescription type, String method) {
      for (TypeDescription.Generic t = type.asGenericType(); t != null; t = t.getSuperClass()) {
        if (!t.asErasure().getDeclaredMethods().filter(named(method)).isEmpty()) {
          return true;
        }
        for (TypeDescription.Generic i : t.asErasure().getInterfaces()) {
          if (!i.asErasure().getDeclaredMethods().filter(named(method)).isEmpty()) {
            return true;
          }
        }
      }
      return false;
    }

    private void skip(String why) {
      if (reported.add(framework + hook.label() + why)) {
        System.err.println("mltrace: " + framework + " hook " + hook.label() + " skipped: " + why);
      }
    }
  }

  /** Reports each type that could not be instrumented, once, on one line. */
  private final class ErrorsOnce extends AgentBuilder.Listener.Adapter {
    @Override
    public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
        Throwable throwable) {
      if (reported.add("error:" + typeName)) {
        System.err.println("mltrace: could not instrument " + typeName + ": " + throwable);
      }
    }
  }
}
