package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;

import io.mltrace.bootstrap.HookHealth;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.implementation.bytecode.StackManipulation;
import net.bytebuddy.implementation.bytecode.constant.IntegerConstant;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.JavaModule;

/** Installs the hooks of several frameworks with one Byte Buddy agent builder. */
public final class Installer {
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final Set<String> applied = new java.util.concurrent.ConcurrentSkipListSet<>();
  /** (framework, loader) pairs already announced to {@link FrameworkInstrumentation#applied}. */
  private final Set<Object> appliedIn = ConcurrentHashMap.newKeySet();

  /** The frameworks with at least one hook applied so far, comma-separated (for example {@code djl}). */
  public String appliedFrameworks() {
    return String.join(",", applied);
  }

  private final ConcurrentMap<ClassLoader, TypePool.CacheProvider> poolCaches = new ConcurrentHashMap<>();
  /** One caching pool per class loader for the reference checks (the bootstrap loader under a marker key). */
  private final ConcurrentMap<Object, TypePool> referencePools = new ConcurrentHashMap<>();
  private static final Object BOOTSTRAP = new Object();
  /**
   * Packages without hooks whatever the frameworks: the JDK, the agent itself, and libraries a job carries that
   * hold no training loop, iterator or translator (logging, JSON, protobuf, JavaCPP).
   */
  static final List<String> NOT_HOOKED = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "net.bytebuddy.",
      "io.mltrace.", "org.slf4j.", "com.google.protobuf.", "com.fasterxml.jackson.", "kotlin.", "okhttp3.", "okio.",
      "io.opentelemetry.", "io.prometheus.", "org.bytedeco.");
  /** Per target loader: the class files the advice is compiled against. */
  private final ConcurrentMap<Object, AdvicePool> advicePools = new ConcurrentHashMap<>();
  /** Advice class name → the framework references read from its bytecode. */
  private final ConcurrentMap<String, List<AdviceReferences.Reference>> adviceReferences = new ConcurrentHashMap<>();

  /**
   * Installs every hook. Already-loaded classes are retransformed (the attach case); classes loaded later are
   * transformed as they load.
   */
  public void install(Instrumentation inst, List<FrameworkInstrumentation> frameworks) {
    install(inst, frameworks, true, Integer.MAX_VALUE,
        AgentBuilder.RedefinitionStrategy.Listener.NoOp.INSTANCE);
  }

  /**
   * As {@link #install(Instrumentation, List)}. With {@code retransformLoaded} (attach), already-loaded classes are
   * retransformed in batches of at most {@code batchSize}, each announced to {@code listener} (the attach path
   * times them); without (launch: no framework class is loaded yet), the loaded classes are not even visited, and
   * a class being loaded in a package no hook can match never reaches Byte Buddy ({@link NamePrefilter}).
   */
  public void install(Instrumentation inst, List<FrameworkInstrumentation> frameworks,
      boolean retransformLoaded, int batchSize, AgentBuilder.RedefinitionStrategy.Listener listener) {
    AgentBuilder builder = builder(frameworks, retransformLoaded, batchSize, listener);
    if (retransformLoaded) {
      builder.installOn(inst);
      return;
    }
    NamePrefilter transformer = new NamePrefilter(builder.makeRaw(), rejected(frameworks), named(frameworks));
    prefilter = transformer;
    inst.addTransformer(transformer, false);
  }

  /**
   * Launch only: starts building the hooks' transformer on a background thread ({@code mltrace-hooks}), so that
   * premain can start JFR and the collector meanwhile; {@link Prepared#install} installs it. The same thread then
   * warms Byte Buddy's weaving ({@link TransformWarmUp}) until {@code install} is called. {@code marks} hears the
   * thread's phases (the start-up log).
   */
  public Prepared prepare(List<FrameworkInstrumentation> frameworks, Consumer<String> marks) {
    return new Prepared(frameworks, marks, TimeUnit.SECONDS.toMillis(BUILD_WAIT_SECONDS));
  }

  /** As {@link #prepare(List, Consumer)}, waiting at most {@code buildWaitMillis} for the build (tests). */
  Prepared prepare(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, long buildWaitMillis) {
    return new Prepared(frameworks, marks, buildWaitMillis);
  }

  /** The classes that reached Byte Buddy at load time, how many it changed, and its time on the loading threads. */
  public String weavingReport() {
    NamePrefilter p = prefilter;
    return p == null ? "no hooks at load time" : p.report();
  }

  private volatile NamePrefilter prefilter;

  /** Hooks being prepared by {@link #prepare}. */
  public final class Prepared {
    private final FutureTask<NamePrefilter> build;
    private final CountDownLatch warmed = new CountDownLatch(1);
    private volatile boolean installing;

    private final long buildWaitMillis;

    private Prepared(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, long buildWaitMillis) {
      this.buildWaitMillis = buildWaitMillis;
      build = new FutureTask<>(() -> new NamePrefilter(
          builder(frameworks, false, Integer.MAX_VALUE, AgentBuilder.RedefinitionStrategy.Listener.NoOp.INSTANCE)
              .makeRaw(), rejected(frameworks), named(frameworks)));
      Thread thread = new Thread(() -> {
        try {
          build.run();
          if (built()) { // a build that failed is reported by install; nothing to warm for
            marks.accept("hooks built");
            int rounds = TransformWarmUp.run(() -> installing);
            marks.accept("weaving warmed (" + rounds + (rounds == 1 ? " round)" : " rounds)"));
          }
        } finally {
          warmed.countDown();
        }
      }, "mltrace-hooks");
      thread.setDaemon(true);
      thread.start();
    }

    private boolean built() {
      try {
        build.get();
        return true;
      } catch (ExecutionException | InterruptedException | RuntimeException e) {
        return false;
      }
    }

    /**
     * Waits until the transformer is built and Byte Buddy's weaving has been warmed once (the first framework class
     * loads right after premain returns), then installs it. Throws {@link IllegalStateException} when building it
     * failed (premain then disables the agent, as when building it on premain's thread failed).
     */
    public void install(Instrumentation inst) {
      installing = true;
      NamePrefilter transformer;
      try {
        // Bounded: the build takes 0.35-0.6 s here; one that never ends must not hold the application's start.
        transformer = build.get(buildWaitMillis, TimeUnit.MILLISECONDS);
        // One warm-up round takes about 0.1 s here.
        warmed.await(WARM_UP_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new IllegalStateException("the hooks could not be built: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        throw new IllegalStateException("the hooks were not built within " + buildWaitMillis + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the hooks were built", e);
      }
      prefilter = transformer;
      inst.addTransformer(transformer, false);
    }
  }

  /** The longest premain waits for the hooks to be built (then the agent is disabled with one line). */
  static final long BUILD_WAIT_SECONDS = 60;
  /** The longest premain waits for the first warm-up round once the hooks are built. */
  static final long WARM_UP_WAIT_SECONDS = 5;

  /** The agent builder for these hooks; tests call {@code makeRaw()} on it to transform class files directly. */
  AgentBuilder builder(List<FrameworkInstrumentation> frameworks, boolean retransformLoaded, int batchSize,
      AgentBuilder.RedefinitionStrategy.Listener listener) {
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
        // The JDK, the agent's own classes (but the example jobs, user code, are hooked by custom spans), the
        // libraries nothing hooks and the frameworks' unhooked packages are rejected by name, before any class
        // file is parsed.
        .ignore(namePrefixes(rejected(frameworks)).and(not(namePrefixes(named(frameworks)))));
    for (FrameworkInstrumentation f : frameworks) {
      // A hook never looks at another framework's types: DJL's family matchers (which parse a class to list its
      // methods) never run on ND4J's classes, nor DL4J's on DJL's.
      List<String> others = new ArrayList<>();
      for (FrameworkInstrumentation other : frameworks) {
        if (other != f) {
          others.addAll(other.ownPackages());
        }
      }
      ElementMatcher.Junction<TypeDescription> scope = not(namePrefixes(others));
      for (Hook hook : f.hooks()) {
        builder = builder.type(scope.and(hook.types)).transform(new CheckedAdvice(f, hook));
      }
    }
    return builder;
  }

  /**
   * Applies one hook after checking it against the loader of the type being transformed: the hook's methods must
   * exist, and so must every framework class, method and field its advice's bytecode refers to. The advice is
   * compiled with the hook's id bound ({@link HookId}) and an exception handler that reports its failures to
   * {@link HookHealth}, which turns a hook off after repeated failures.
   */
  private final class CheckedAdvice implements AgentBuilder.Transformer {
    private final FrameworkInstrumentation instrumentation;
    private final String framework;
    private final Hook hook;
    private final int id;
    /** Per target loader: the compiled advice. */
    private final ConcurrentMap<Object, Advice> adviceByLoader = new ConcurrentHashMap<>();
    /** Per target loader (the bootstrap loader under a marker key): why the advice cannot apply there, or "". */
    private final ConcurrentMap<Object, String> missingByLoader = new ConcurrentHashMap<>();

    CheckedAdvice(FrameworkInstrumentation instrumentation, Hook hook) {
      this.instrumentation = instrumentation;
      this.framework = instrumentation.name();
      this.hook = hook;
      this.id = HookHealth.register(framework + " hook " + hook.label());
    }

    @Override
    public DynamicType.Builder<?> transform(DynamicType.Builder<?> builder, TypeDescription type,
        ClassLoader loader, JavaModule module, ProtectionDomain domain) {
      String missing = missingMethods(type);
      if (missing == null) {
        missing = missingByLoader.computeIfAbsent(loader == null ? BOOTSTRAP : loader, k -> missingReference(loader));
      }
      if (!missing.isEmpty()) {
        skip(missing);
        return builder;
      }
      applied.add(framework);
      Object key = loader == null ? BOOTSTRAP : loader;
      if (appliedIn.add(List.of(framework, key))) {
        try {
          instrumentation.applied(loader);
        } catch (RuntimeException | LinkageError e) {
          System.err.println("mltrace: " + framework + ": " + e);
        }
      }
      Advice advice = adviceByLoader.computeIfAbsent(key, k -> compile(advicePool(loader, k)));
      return builder.visit(new AsmVisitorWrapper.ForDeclaredMethods().invokable(hook.methods, advice));
    }

    /**
     * The hook's advice with its constants bound, built once per target loader: Byte Buddy's own
     * {@code Transformer.ForAdvice} would parse the advice and the bridge classes again for every class it
     * transforms.
     */
    private Advice compile(AdvicePool pool) {
      Advice.WithCustomMapping mapping = Advice.withCustomMapping().bind(HookId.class, id);
      for (Map.Entry<Class<? extends Annotation>, Object> b : hook.bindings.entrySet()) {
        mapping = mapping.bind(b.getKey(), b.getValue());
      }
      return mapping.to(pool.types.describe(hook.adviceClass).resolve(), pool.locator)
          .withExceptionHandler(failureHandler(id));
    }

    private String missingMethods(TypeDescription type) {
      if (type.getDeclaredMethods().filter(hook.methods).isEmpty() && !type.isInterface() && !type.isAbstract()) {
        return type.getName() + " has no method " + hook.methodsLabel;
      }
      return null;
    }

    /** "" when every framework reference of the advice resolves in this loader; otherwise the first missing. */
    private String missingReference(ClassLoader loader) {
      List<AdviceReferences.Reference> refs;
      try {
        refs = referencesOf(hook.adviceClass);
      } catch (IOException | RuntimeException e) {
        return "its advice could not be read (" + e + ")";
      }
      TypePool pool = referencePools.computeIfAbsent(loader == null ? BOOTSTRAP : loader,
          k -> TypePool.Default.of(ClassFileLocator.ForClassLoader.of(loader)));
      String missing = ReferenceCheck.firstMissing(refs, pool);
      return missing == null ? "" : missing + " (used by " + simpleName(hook.adviceClass) + ")";
    }

    private void skip(String why) {
      if (reported.add(framework + hook.label() + why)) {
        System.err.println("mltrace: " + framework + " hook " + hook.label() + " skipped: " + why);
      }
    }
  }

  /** Class files seen from one target loader plus the agent's (the advice classes), parsed once for all hooks. */
  private record AdvicePool(ClassFileLocator locator, TypePool types) {}

  private AdvicePool advicePool(ClassLoader loader, Object key) {
    return advicePools.computeIfAbsent(key, k -> {
      ClassFileLocator locator = new ClassFileLocator.Compound(
          ClassFileLocator.ForClassLoader.of(Installer.class.getClassLoader()),
          ClassFileLocator.ForClassLoader.of(loader));
      return new AdvicePool(locator, new TypePool.Default.WithLazyResolution(new TypePool.CacheProvider.Simple(),
          locator, TypePool.Default.ReaderMode.FAST));
    });
  }

  /** The framework references of an advice class, read from its bytecode once. */
  private List<AdviceReferences.Reference> referencesOf(String adviceClass) throws IOException {
    List<AdviceReferences.Reference> refs = adviceReferences.get(adviceClass);
    if (refs == null) {
      refs = AdviceReferences.of(adviceClass, ClassFileLocator.ForClassLoader.of(Installer.class.getClassLoader()));
      adviceReferences.put(adviceClass, refs);
    }
    return refs;
  }

  /** Packages no hook can match: the JDK, the agent, libraries without hooks, the frameworks' unhooked ones. */
  static List<String> rejected(List<FrameworkInstrumentation> frameworks) {
    List<String> rejected = new ArrayList<>(NOT_HOOKED);
    for (FrameworkInstrumentation f : frameworks) {
      rejected.addAll(f.unhookedPackages());
    }
    return rejected;
  }

  /** Packages a hook names explicitly (custom spans), admitted whatever {@link #rejected} says. */
  static List<String> named(List<FrameworkInstrumentation> frameworks) {
    List<String> named = new ArrayList<>(List.of("io.mltrace.examples."));
    for (FrameworkInstrumentation f : frameworks) {
      named.addAll(f.namedPackages());
    }
    return named;
  }

  /** Types whose name starts with one of the prefixes (matched on the name alone: no class file is parsed). */
  private static ElementMatcher.Junction<TypeDescription> namePrefixes(List<String> prefixes) {
    ElementMatcher.Junction<TypeDescription> any = none();
    for (String prefix : prefixes) {
      any = any.or(nameStartsWith(prefix));
    }
    return any;
  }

  /** Inlined into each advice's catch block: {@code HookHealth.failed(throwable, id)}, the throwable consumed. */
  private static Advice.ExceptionHandler failureHandler(int id) {
    try {
      return new Advice.ExceptionHandler.Simple(new StackManipulation.Compound(IntegerConstant.forValue(id),
          MethodInvocation.invoke(new MethodDescription.ForLoadedMethod(
              HookHealth.class.getMethod("failed", Throwable.class, int.class)))));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
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
