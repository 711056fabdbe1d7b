package io.mltrace.agent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * The element count of a DJL tensor through DJL's own native binding. The unit tests' class path has DJL's PyTorch
 * engine but no native library, so the binding is resolved here and called in {@code DjlMemoryLeakIT}, whose
 * per-holder and leak figures are exact byte counts of real arrays.
 */
class DjlTensorElementsTest {
  @Test
  void theBindingIsReachedFromDjlsOwnClassLoaderThoughItIsPackagePrivate() {
    var sizes = DjlTensorElements.resolve(DjlTensorElementsTest.class.getClassLoader());
    assertNotNull(sizes, "PyTorchLibrary.torchSizes through privateLookupIn");
    assertEquals(MethodType.methodType(long[].class, long.class), sizes.type());
  }

  @Test
  void aTensorWhoseLoaderHasNoDjlIsNotCountedAndTheHookReadsItsShapeInstead() throws Exception {
    try (URLClassLoader noDjl = new URLClassLoader(new URL[0], null)) {
      assertNull(DjlTensorElements.resolve(noDjl));
    }
    DjlTensorElements counts = new DjlTensorElements();
    Object fromTheBootLoader = new Object(); // its class loader (the boot loader) has no DJL
    assertEquals(-1, counts.elements(fromTheBootLoader, 42L));
    assertEquals(-1, counts.elements(fromTheBootLoader, 42L), "and stays unknown, without another lookup");
  }
}
