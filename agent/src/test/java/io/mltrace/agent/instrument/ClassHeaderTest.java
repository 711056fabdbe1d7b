package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The supertypes read from a class file's header: whether a class the weaving cache does not know needs Byte Buddy.
 */
class ClassHeaderTest {
  static class Plain implements Runnable, java.io.Serializable {
    // Long and double constants take two constant-pool entries each: the reader must step over both.
    long big = 123_456_789_012L;
    double ratio = 3.25;
    String text = "plain";

    @Override
    public void run() {
      big += (long) ratio + text.length();
    }
  }

  static class ListLike extends java.util.ArrayList<String> {}

  static class OwnBase {}

  static class Derived extends OwnBase {}

  interface Mine {}

  static class WithMine implements Runnable, Mine {
    @Override
    public void run() {}
  }

  private static byte[] bytesOf(Class<?> c) throws IOException {
    String file = c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class";
    try (InputStream in = c.getResourceAsStream(file)) {
      return in.readAllBytes();
    }
  }

  @Test
  void aClassWhoseDirectSupertypesAreAllThePlatformsNeedsNoByteBuddy() throws Exception {
    assertTrue(ClassHeader.onlyJdkSupertypes(bytesOf(Plain.class)));
    assertTrue(ClassHeader.onlyJdkSupertypes(bytesOf(ListLike.class)));
  }

  @Test
  void aSupertypeOutsideThePlatformOrNoneAtAllLeavesItToByteBuddy() throws Exception {
    assertFalse(ClassHeader.onlyJdkSupertypes(bytesOf(Derived.class)), "its super class is the job's");
    assertFalse(ClassHeader.onlyJdkSupertypes(bytesOf(WithMine.class)), "one interface is the job's");
    assertFalse(ClassHeader.onlyJdkSupertypes(bytesOf(Object.class)), "java/lang/Object has no super class");
    // A framework class that extends Object: by its header alone it would pass; its package keeps it from this path
    // (CachedWeaving), which this reader does not know about.
    assertTrue(ClassHeader.onlyJdkSupertypes(bytesOf(OwnBase.class)));
  }

  @Test
  void whatItCannotReadIsLeftToByteBuddy() throws Exception {
    byte[] plain = bytesOf(Plain.class);
    assertFalse(ClassHeader.onlyJdkSupertypes(new byte[0]));
    assertFalse(ClassHeader.onlyJdkSupertypes("not a class file".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    // Cut inside the constant pool (a cut after the header is the JVM's to refuse, not this reader's).
    for (int cut : new int[] {9, 10, 11, 40}) {
      assertFalse(ClassHeader.onlyJdkSupertypes(Arrays.copyOf(plain, cut)), "cut at " + cut);
    }
    byte[] badTag = plain.clone();
    badTag[10] = 99; // the first constant's tag
    assertFalse(ClassHeader.onlyJdkSupertypes(badTag));
  }
}
