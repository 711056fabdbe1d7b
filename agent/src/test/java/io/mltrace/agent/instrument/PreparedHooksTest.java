package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.djl.DjlInstrumentation;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hooks prepared on a background thread at launch ({@link Installer#prepare}): what {@code install} hands the JVM
 * weaves DJL's real {@code JniUtils}, the warm-up weaves, a build that fails disables the agent at {@code install},
 * the start-up log's weaving report counts what reached the weaving, and the weaving cache answers the next JVM.
 */
class PreparedHooksTest {
  /** The transformers an {@link Instrumentation} was given: the one seam the JVM does not let a test open. */
  private static Instrumentation recording(List<ClassFileTransformer> added) {
    return (Instrumentation) Proxy.newProxyInstance(PreparedHooksTest.class.getClassLoader(),
        new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
          if (method.getName().equals("addTransformer")) {
            added.add((ClassFileTransformer) args[0]);
            return null;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void theInstalledTransformerWeavesJniUtilsAndReportsWhatItSaw() throws Exception {
    Installer installer = new Installer();
    List<String> marks = Collections.synchronizedList(new ArrayList<>());
    Installer.Prepared prepared = installer.prepare(List.of(new DjlInstrumentation()), marks::add);
    List<ClassFileTransformer> added = new ArrayList<>();
    assertEquals("no hooks at load time", installer.weavingReport());

    prepared.install(recording(added));

    assertEquals(1, added.size());
    assertTrue(marks.contains("hooks built"), marks::toString);
    ClassLoader loader = getClass().getClassLoader();
    byte[] jniUtils;
    try (InputStream in = loader.getResourceAsStream(AdviceReferencesTest.JNI_UTILS + ".class")) {
      assertNotNull(in, "DJL's engine is on the test class path");
      jniUtils = in.readAllBytes();
    }
    ClassFileTransformer t = added.get(0);
    assertNotNull(t.transform(loader, AdviceReferencesTest.JNI_UTILS, null, null, jniUtils), "JniUtils is woven");
    assertNull(t.transform(loader, "java/lang/Thing", null, null, jniUtils), "a JDK name never reaches Byte Buddy");
    String report = installer.weavingReport();
    assertTrue(report.startsWith("1 classes reached the weaving, 1 woven, "), report);
  }

  private static byte[] jniUtils() throws java.io.IOException {
    try (InputStream in = PreparedHooksTest.class.getClassLoader().getResourceAsStream(
        AdviceReferencesTest.JNI_UTILS + ".class")) {
      assertNotNull(in, "DJL's engine is on the test class path");
      return in.readAllBytes();
    }
  }

  @Test
  void aWarmCacheAnswersWithoutBuildingByteBuddyAndAMissBuildsIt(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path root) throws Exception {
    ClassLoader loader = getClass().getClassLoader();
    byte[] original = jniUtils();
    // The first "JVM": the hooks built, JniUtils woven and kept.
    Installer first = new Installer();
    Installer.Prepared cold = first.prepare(List.of(new DjlInstrumentation()), m -> { },
        WovenCache.open(root, "plan"));
    List<ClassFileTransformer> added = new ArrayList<>();
    cold.install(recording(added));
    byte[] woven = added.get(0).transform(loader, AdviceReferencesTest.JNI_UTILS, null, null, original);
    assertNotNull(woven, "JniUtils is woven");
    assertTrue(first.weavingReport().contains("0 classes from it, 1 through Byte Buddy, 1 stored, 0 unchanged"),
        first.weavingReport());

    giveThePlansHooksTheNextIds(root);
    List<String> marks = Collections.synchronizedList(new ArrayList<>());
    Installer second = new Installer();
    Installer.Prepared warm = second.prepare(List.of(new DjlInstrumentation()), marks::add,
        WovenCache.open(root, "plan"));
    added.clear();
    warm.install(recording(added));
    assertTrue(marks.get(0).startsWith("hooks from the weaving cache"), marks::toString);
    assertTrue(java.util.Arrays.equals(woven, added.get(0).transform(loader, AdviceReferencesTest.JNI_UTILS, null,
        null, original)), "the same woven bytes, from the cache");
    assertFalse(warm.buildStarted(), "Byte Buddy not built for a class the cache knows");
    assertTrue(second.appliedFrameworks().contains("djl"), "the framework announced as when woven");

    // A class the cache does not know: Byte Buddy is built then, on the loading thread, and what it made is kept.
    // (JniUtils's bytes under another name: a key of its own, and no hook names that class)
    assertNull(added.get(0).transform(loader, "ai/djl/pytorch/jni/NotHooked", null, null, original));
    assertTrue(warm.buildStarted(), marks::toString);
    assertTrue(marks.contains("a class the weaving cache does not know: building the hooks"), marks::toString);
    assertTrue(second.weavingReport().contains("1 classes from it, 1 through Byte Buddy, 1 stored, 0 unchanged"),
        second.weavingReport());
  }

  @Test
  void aMissNoHookCanMatchIsAnsweredWithoutByteBuddyAndKept(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path root) throws Exception {
    ClassLoader loader = getClass().getClassLoader();
    // A warm cache (the first JVM wove JniUtils), whose hooks get this JVM's ids, as in the test above.
    Installer first = new Installer();
    Installer.Prepared cold = first.prepare(List.of(new DjlInstrumentation()), m -> { },
        WovenCache.open(root, "plan"));
    List<ClassFileTransformer> added = new ArrayList<>();
    cold.install(recording(added));
    assertNotNull(added.get(0).transform(loader, AdviceReferencesTest.JNI_UTILS, null, null, jniUtils()));
    giveThePlansHooksTheNextIds(root);
    List<String> marks = Collections.synchronizedList(new ArrayList<>());
    Installer second = new Installer();
    Installer.Prepared warm = second.prepare(List.of(new DjlInstrumentation()), marks::add,
        WovenCache.open(root, "plan"));
    added.clear();
    warm.install(recording(added));
    ClassFileTransformer t = added.get(0);

    // The job's own class, new to the cache (edited, or another job): an Object with the platform's interfaces.
    byte[] plain = classBytes(ClassHeaderTest.Plain.class);
    assertNull(t.transform(loader, "userjob/Plain", null, null, plain));
    assertFalse(warm.buildStarted(), "no Byte Buddy for a class no hook can match: " + marks);
    assertTrue(second.weavingReport().endsWith("0 through Byte Buddy, 1 stored, 1 unchanged by their supertypes"),
        second.weavingReport());
    assertNull(t.transform(loader, "userjob/Plain", null, null, plain));
    assertTrue(second.weavingReport().contains(": 1 classes from it,"), "kept for the next load: "
        + second.weavingReport());

    // The same bytes under a hooked library's name: a hook there may name the class itself, so Byte Buddy decides.
    assertNull(t.transform(loader, "ai/djl/Plain", null, null, plain));
    assertTrue(warm.buildStarted(), marks::toString);
    // Classes of the job's below DJL's types: a block (DJL's blocks are hooked on DJL's own base class) and one below
    // the job's own base class are answered from the headers up their hierarchy; a loss, below the loss hook's family
    // type, goes to Byte Buddy, which weaves it.
    assertNull(t.transform(loader, "userjob/OwnBlock", null, null, classBytes(userjob.OwnBlock.class)));
    assertNull(t.transform(loader, "userjob/Derived", null, null, classBytes(ClassHeaderTest.Derived.class)));
    assertNotNull(t.transform(loader, "userjob/OwnLoss", null, null, classBytes(userjob.OwnLoss.class)),
        "the job's loss is woven");
    assertTrue(second.weavingReport().endsWith("2 through Byte Buddy, 5 stored, 3 unchanged by their supertypes"),
        second.weavingReport());
  }

  /**
   * The weaving cache answers a job's class outside the hooked names without Byte Buddy unless it is below a family
   * type: so every hook that is not a family's must match by name (a named type, a package, a custom span's pattern).
   * Read from the matchers' descriptions; a hook written otherwise fails here and belongs in {@link Hook#onSubtypesOf}.
   */
  @Test
  void everyOtherHookMatchesItsTypesByName() {
    List<FrameworkInstrumentation> all = new ArrayList<>(List.of(new DjlInstrumentation(true),
        new io.mltrace.agent.dl4j.Dl4jInstrumentation(true, true), io.mltrace.agent.cluster.SparkPhases.instrumentation(),
        io.mltrace.agent.custom.CustomSpans.parse("com.example.*Loader#load*:data")));
    int compound = 0;
    for (FrameworkInstrumentation f : all) {
      for (Hook h : f.hooks()) {
        String types = h.types.toString();
        assertTrue(h.family != null || types.startsWith("name(") || types.startsWith("(name("),
            f.name() + " " + h.label() + ": " + types);
        compound += h.family == null && types.startsWith("(name(") ? 1 : 0;
      }
    }
    // DL4J's two layer hooks and the custom span: a name test and more (the check reads compound matchers too).
    assertTrue(compound >= 3, "compound name matchers checked: " + compound);
  }

  @Test
  void everyFamilyHookIsInItsLibrarysFamilyList() {
    // Each library with its options at their most hooks and at their fewest.
    for (FrameworkInstrumentation f : List.of(new DjlInstrumentation(true), new DjlInstrumentation(false),
        new io.mltrace.agent.dl4j.Dl4jInstrumentation(true, true),
        new io.mltrace.agent.dl4j.Dl4jInstrumentation(false, false))) {
      java.util.Set<String> declared = new java.util.TreeSet<>();
      for (Hook h : f.hooks()) {
        if (h.family != null) {
          declared.add(h.family);
        }
      }
      assertEquals(new java.util.TreeSet<>(f.familySupertypes()), declared, f.name());
    }
  }

  /**
   * The next JVM registers the plan's hooks first, so they get the ids the woven bytes carry. In this test JVM other
   * hooks came before: the plan's ids are moved to where this JVM's next ids will be.
   */
  private static void giveThePlansHooksTheNextIds(java.nio.file.Path root) throws java.io.IOException {
    WovenCache stored = WovenCache.open(root, "plan");
    int next = io.mltrace.bootstrap.HookHealth.register("a test's probe") + 1;
    StringBuilder hooks = new StringBuilder();
    for (String[] h : stored.hooks()) {
      hooks.append(h[0]).append('\t').append(h[1]).append('\t').append(next++).append('\n');
    }
    java.nio.file.Files.writeString(stored.folder().resolve("hooks"), hooks);
  }

  private static byte[] classBytes(Class<?> c) throws java.io.IOException {
    try (InputStream in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1)
        + ".class")) {
      return in.readAllBytes();
    }
  }

  @Test
  void aCacheWhoseHookIdsAreNotThisJvmsIsNotUsed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root)
      throws Exception {
    WovenCache cache = WovenCache.open(root, "plan");
    cache.store(WovenCache.key(AdviceReferencesTest.JNI_UTILS, jniUtils()), "not a class".getBytes(
        java.nio.charset.StandardCharsets.UTF_8), "djl", "");
    cache.storeHooks(List.<String[]>of(new String[] {"djl hook x", "djl hook x", "4095"}));
    List<String> marks = Collections.synchronizedList(new ArrayList<>());
    Installer installer = new Installer();
    Installer.Prepared prepared = installer.prepare(List.of(new DjlInstrumentation()), marks::add,
        WovenCache.open(root, "plan"));
    List<ClassFileTransformer> added = new ArrayList<>();
    prepared.install(recording(added));
    assertTrue(marks.contains("weaving cache not used: its hook ids are not this JVM's"), marks::toString);
    byte[] woven = added.get(0).transform(getClass().getClassLoader(), AdviceReferencesTest.JNI_UTILS, null, null,
        jniUtils());
    assertNotNull(woven);
    assertFalse(new String(woven, java.nio.charset.StandardCharsets.ISO_8859_1).equals("not a class"),
        "woven by Byte Buddy, not read from the cache");
    assertFalse(installer.weavingReport().contains("weaving cache"), installer.weavingReport());
  }

  @Test
  void theWarmUpWeavesItsOwnClassUntilToldEnough() {
    assertEquals(1, TransformWarmUp.run(() -> true), "one round at least, and it succeeds");
    AtomicInteger asked = new AtomicInteger();
    assertEquals(3, TransformWarmUp.run(() -> asked.incrementAndGet() >= 3));
  }

  @Test
  void aBuildThatDoesNotEndFailsTheInstallInsteadOfHoldingTheApplication() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    FrameworkInstrumentation stuck = new FrameworkInstrumentation() {
      @Override
      public String name() {
        return "stuck";
      }

      @Override
      public List<Hook> hooks() {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return List.of();
      }
    };
    Installer.Prepared prepared = new Installer().prepare(List.of(stuck), m -> { }, 200);
    List<ClassFileTransformer> added = new ArrayList<>();
    long start = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> prepared.install(recording(added)));
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    release.countDown();
    assertTrue(e.getMessage().contains("not built within 200 ms"), e.getMessage());
    assertTrue(waitedMs >= 200 && waitedMs < 10_000, "waited " + waitedMs + " ms");
    assertEquals(List.of(), added, "nothing installed");
  }

  @Test
  void hooksThatCannotBeBuiltFailTheInstallWithTheirCause() {
    FrameworkInstrumentation broken = new FrameworkInstrumentation() {
      @Override
      public String name() {
        return "broken";
      }

      @Override
      public List<Hook> hooks() {
        throw new IllegalArgumentException("no such hook");
      }
    };
    List<String> marks = Collections.synchronizedList(new ArrayList<>());
    Installer.Prepared prepared = new Installer().prepare(List.of(broken), marks::add);
    List<ClassFileTransformer> added = new ArrayList<>();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> prepared.install(recording(added)));
    assertTrue(e.getMessage().contains("no such hook"), e.getMessage());
    assertEquals(List.of(), added, "nothing installed");
    assertEquals(List.of(), marks, "neither built nor warmed");
  }
}
