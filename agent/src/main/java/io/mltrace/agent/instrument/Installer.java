package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;

import io.mltrace.bootstrap.HookHealth;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.instrument.ClassFileTransformer;
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
   * Hook key ({@code <framework> hook <label>}, {@code #n} for a repeated label) → its {@link HookHealth} id. The
   * weaving cache's classes carry the ids of the JVM that wove them: a JVM that answers from the cache registers the
   * same keys in the same order first ({@link WovenCache#hooks}), and a build after that reuses them.
   */
  private final ConcurrentMap<String, Integer> hookIds = new ConcurrentHashMap<>();
  private final List<String[]> hookPlan = java.util.Collections.synchronizedList(new ArrayList<>());
  /** The frameworks being installed, by name (a cached class names the frameworks that applied to it). */
  private final ConcurrentMap<String, FrameworkInstrumentation> frameworksByName = new ConcurrentHashMap<>();
  /** What the transformation running on this thread did: frameworks applied, lines printed, an error. */
  private final ThreadLocal<Outcome> outcome = new ThreadLocal<>();

  /** What one class's transformation did, for the weaving cache. */
  static final class Outcome {
    final java.util.LinkedHashSet<String> frameworks = new java.util.LinkedHashSet<>();
    final List<String> notes = new ArrayList<>();
    boolean error;

    String frameworks() {
      return String.join(",", frameworks);
    }

    String notes() {
      return String.join(NOTE_SEPARATOR, notes);
    }
  }

  /** Between the lines a class's transformation printed, in the weaving cache's index. */
  static final String NOTE_SEPARATOR = "\u001e";

  private synchronized int hookId(String key, String label) {
    Integer id = hookIds.get(key);
    if (id == null) {
      id = HookHealth.register(label);
      hookIds.put(key, id);
      hookPlan.add(new String[] {key, label, String.valueOf(id)});
    }
    return id;
  }

  /** The hooks registered so far, in order: {key, label, id}. */
  List<String[]> hookPlan() {
    synchronized (hookPlan) {
      return new ArrayList<>(hookPlan);
    }
  }

  /** Starts recording what the transformation about to run on this thread does. */
  Outcome beginTransform() {
    Outcome o = new Outcome();
    outcome.set(o);
    return o;
  }

  void endTransform() {
    outcome.remove();
  }

  /**
   * A class answered from the weaving cache: what its transformation did in the JVM that wove it happens here too
   * (the frameworks are announced once per loader, the lines printed once).
   */
  void replay(String frameworks, String notes, ClassLoader loader) {
    if (!frameworks.isEmpty()) {
      for (String name : frameworks.split(",")) {
        FrameworkInstrumentation f = frameworksByName.get(name);
        if (f != null) {
          announce(f, loader);
        }
      }
    }
    if (!notes.isEmpty()) {
      for (String note : notes.split(NOTE_SEPARATOR)) {
        if (reported.add(note)) {
          System.err.println(note);
        }
      }
    }
  }

  private void announce(FrameworkInstrumentation f, ClassLoader loader) {
    applied.add(f.name());
    Object key = loader == null ? BOOTSTRAP : loader;
    if (appliedIn.add(List.of(f.name(), key))) {
      try {
        f.applied(loader);
      } catch (RuntimeException | LinkageError e) {
        System.err.println("mltrace: " + f.name() + ": " + e);
      }
    }
  }

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
    return new Prepared(frameworks, marks, TimeUnit.SECONDS.toMillis(BUILD_WAIT_SECONDS), null);
  }

  /**
   * As {@link #prepare(List, Consumer)}, with the weaving cache of this plan under {@code cacheRoot} (see
   * {@link WovenCache}): when an earlier JVM stored classes there, nothing is built unless a class misses. A cache
   * that cannot be opened is reported on {@code problems} (one line) and the hooks are prepared without it.
   */
  public Prepared prepare(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, java.nio.file.Path
      cacheRoot, String planKey, String plan, Consumer<String> problems) {
    WovenCache cache = null;
    try {
      cache = WovenCache.open(cacheRoot, planKey, plan);
    } catch (IOException | RuntimeException e) {
      problems.accept("mltrace: weaving cache off (" + e.getMessage() + "): set weave_cache_dir to a folder of"
          + " your own, or weave_cache=off");
    }
    return new Prepared(frameworks, marks, TimeUnit.SECONDS.toMillis(BUILD_WAIT_SECONDS), cache);
  }

  /** As {@link #prepare(List, Consumer)}, waiting at most {@code buildWaitMillis} for the build (tests). */
  Prepared prepare(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, long buildWaitMillis) {
    return new Prepared(frameworks, marks, buildWaitMillis, null);
  }

  /** As {@link #prepare(List, Consumer)} with an open cache (tests). */
  Prepared prepare(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, WovenCache cache) {
    return new Prepared(frameworks, marks, TimeUnit.SECONDS.toMillis(BUILD_WAIT_SECONDS), cache);
  }

  /**
   * The classes that passed the name filter at load time, how many were changed, the time on the loading threads,
   * and what the weaving cache answered.
   */
  public String weavingReport() {
    NamePrefilter p = prefilter;
    if (p == null) {
      return "no hooks at load time";
    }
    CachedWeaving c = cached;
    return p.report() + (c == null ? "" : "; " + c.report());
  }

  private volatile NamePrefilter prefilter;
  private volatile CachedWeaving cached;

  /** Hooks being prepared by {@link #prepare}. */
  public final class Prepared {
    private final FutureTask<ClassFileTransformer> build;
    private final CountDownLatch warmed = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
    private final List<FrameworkInstrumentation> frameworks;
    private final Consumer<String> marks;
    private final WovenCache cache;
    /** The plan's folder as opened, used or not: {@link #pruneCache} tidies beside it. */
    private final WovenCache opened;
    /** Answered from the cache: the build waits for a class the cache does not know. */
    private final boolean lazy;
    private volatile boolean installing;

    private final long buildWaitMillis;

    private Prepared(List<FrameworkInstrumentation> frameworks, Consumer<String> marks, long buildWaitMillis,
        WovenCache cache) {
      this.buildWaitMillis = buildWaitMillis;
      this.frameworks = frameworks;
      this.marks = marks;
      for (FrameworkInstrumentation f : frameworks) {
        frameworksByName.putIfAbsent(f.name(), f);
      }
      // A cache whose classes carry other hook ids than this JVM's is not used at all.
      boolean usable = cache != null && (cache.hooks().isEmpty() || sameHookIds(cache.hooks()));
      if (cache != null && !usable) {
        marks.accept("weaving cache not used: its hook ids are not this JVM's");
      }
      this.cache = usable ? cache : null;
      this.opened = cache;
      build = new FutureTask<>(() -> {
        ClassFileTransformer raw = builder(frameworks, false, Integer.MAX_VALUE,
            AgentBuilder.RedefinitionStrategy.Listener.NoOp.INSTANCE).makeRaw();
        if (this.cache != null) {
          this.cache.storeHooks(hookPlan());
        }
        return raw;
      });
      lazy = this.cache != null && this.cache.warm();
      if (lazy) {
        warmed.countDown();
        marks.accept("hooks from the weaving cache (" + this.cache.hooks().size() + ")");
        return;
      }
      Thread thread = new Thread(() -> {
        try {
          started.set(true);
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

    /**
     * Deletes the weaving cache's least recently used plans beyond its bound (another agent build's, other options'):
     * housekeeping that premain leaves to a thread beside the job. Never throws.
     */
    public void pruneCache() {
      if (opened != null) {
        opened.pruneOtherPlans();
      }
    }

    /**
     * Registers the cached plan's hooks; true when each got the id the cached classes carry (the JVM that wove them
     * registered them first, as this one does unless something registered a hook before premain).
     */
    private boolean sameHookIds(List<String[]> hooks) {
      boolean same = true;
      for (String[] h : hooks) {
        same &= String.valueOf(hookId(h[0], h[1])).equals(h[2]);
      }
      return same;
    }

    private boolean built() {
      try {
        build.get();
        return true;
      } catch (ExecutionException | InterruptedException | RuntimeException e) {
        return false;
      }
    }

    /** True once Byte Buddy's transformer was built or is being built (tests: a warm cache builds nothing). */
    boolean buildStarted() {
      return started.get();
    }

    /**
     * Waits until the transformer is built and Byte Buddy's weaving has been warmed once (the first framework class
     * loads right after premain returns), then installs it; with a warm weaving cache, installs at once. Throws
     * {@link IllegalStateException} when building it failed (premain then disables the agent, as when building it
     * on premain's thread failed).
     */
    public void install(Instrumentation inst) {
      installing = true;
      ClassFileTransformer transformer;
      if (lazy) {
        transformer = new CachedWeaving(cache, this::byteBuddyForAMiss, Installer.this, hookedNames(frameworks),
            familySupertypes(frameworks));
        cached = (CachedWeaving) transformer;
      } else {
        ClassFileTransformer raw;
        try {
          // Bounded: the build takes 0.35-0.6 s here; one that never ends must not hold the application's start.
          raw = build.get(buildWaitMillis, TimeUnit.MILLISECONDS);
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
        if (cache != null) {
          transformer = new CachedWeaving(cache, () -> raw, Installer.this, hookedNames(frameworks),
            familySupertypes(frameworks));
          cached = (CachedWeaving) transformer;
        } else {
          transformer = raw;
        }
      }
      NamePrefilter filtered = new NamePrefilter(transformer, rejected(frameworks), named(frameworks));
      prefilter = filtered;
      inst.addTransformer(filtered, false);
    }

    /**
     * A class the warm cache does not know: Byte Buddy is built now, on the thread loading it (once; other threads
     * wait), or null when it cannot be (one line; the class loads unhooked).
     */
    private ClassFileTransformer byteBuddyForAMiss() {
      if (started.compareAndSet(false, true)) {
        marks.accept("a class the weaving cache does not know: building the hooks");
        build.run();
        marks.accept("hooks built");
      }
      try {
        return build.get(buildWaitMillis, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        if (reported.add("build failed")) {
          System.err.println("mltrace: the hooks could not be built (" + e + "): classes the weaving cache does not"
              + " know load unhooked");
        }
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
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
      // ... unless the hook names them itself: a custom span (or the built-in Spark phases) on a DL4J class.
      ElementMatcher.Junction<TypeDescription> scope = not(namePrefixes(others)).or(namePrefixes(f.namedPackages()));
      frameworksByName.putIfAbsent(f.name(), f);
      Map<String, Integer> seen = new java.util.HashMap<>();
      for (Hook hook : f.hooks()) {
        String key = f.name() + " hook " + hook.label();
        int n = seen.merge(key, 1, Integer::sum);
        builder = builder.type(scope.and(hook.types)).transform(new CheckedAdvice(f, hook, n == 1 ? key : key + "#" + n));
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

    CheckedAdvice(FrameworkInstrumentation instrumentation, Hook hook, String key) {
      this.instrumentation = instrumentation;
      this.framework = instrumentation.name();
      this.hook = hook;
      String label = framework + " hook " + hook.label();
      this.id = hookId(key, label);
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
      announce(instrumentation, loader);
      Outcome o = outcome.get();
      if (o != null) {
        o.frameworks.add(framework);
      }
      Object key = loader == null ? BOOTSTRAP : loader;
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
      String line = "mltrace: " + framework + " hook " + hook.label() + " skipped: " + why;
      Outcome o = outcome.get();
      if (o != null) {
        o.notes.add(line);
      }
      if (reported.add(line)) {
        System.err.println(line);
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

  /**
   * Name prefixes under which a hook may match a class whatever its supertypes: each library's own packages (a hook
   * on one named type there) and the names hooks give (custom spans, Spark's phases). Outside them a hook matches
   * only below a family's supertype ({@link CachedWeaving}).
   */
  static List<String> hookedNames(List<FrameworkInstrumentation> frameworks) {
    List<String> names = new ArrayList<>();
    for (FrameworkInstrumentation f : frameworks) {
      names.addAll(f.ownPackages());
      names.addAll(f.namedPackages());
    }
    return names;
  }

  /** The supertypes the libraries' family hooks match below ({@link Hook#onSubtypesOf}). */
  static List<String> familySupertypes(List<FrameworkInstrumentation> frameworks) {
    List<String> types = new ArrayList<>();
    for (FrameworkInstrumentation f : frameworks) {
      types.addAll(f.familySupertypes());
    }
    return types;
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
      Outcome o = outcome.get();
      if (o != null) {
        o.error = true; // not cached: the next JVM tries again, and says so again
      }
      if (reported.add("error:" + typeName)) {
        System.err.println("mltrace: could not instrument " + typeName + ": " + throwable);
      }
    }
  }
}
