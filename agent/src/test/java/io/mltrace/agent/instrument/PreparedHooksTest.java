package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * and the start-up log's weaving report counts what reached Byte Buddy.
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
    assertTrue(report.startsWith("1 classes reached Byte Buddy, 1 woven, "), report);
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
