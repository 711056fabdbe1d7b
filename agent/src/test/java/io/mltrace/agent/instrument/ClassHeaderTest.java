package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

  private static final String OUTER = "io/mltrace/agent/instrument/ClassHeaderTest$";

  @Test
  void theDirectSupertypesComeSuperClassFirst() throws Exception {
    assertArrayEquals(new String[] {"java/lang/Object", "java/lang/Runnable", "java/io/Serializable"},
        ClassHeader.supertypes(bytesOf(Plain.class)));
    assertArrayEquals(new String[] {"java/util/ArrayList"}, ClassHeader.supertypes(bytesOf(ListLike.class)));
    assertArrayEquals(new String[] {OUTER + "OwnBase"}, ClassHeader.supertypes(bytesOf(Derived.class)));
    assertArrayEquals(new String[] {"java/lang/Object", "java/lang/Runnable", OUTER + "Mine"},
        ClassHeader.supertypes(bytesOf(WithMine.class)));
    assertNull(ClassHeader.supertypes(bytesOf(Object.class)), "java/lang/Object has no super class");
    assertTrue(ClassHeader.inJavaPackage("java/util/ArrayList"));
    assertFalse(ClassHeader.inJavaPackage("javax/inject/Provider"), "javax is not the platform's alone");
  }

  @Test
  void whatItCannotReadIsLeftToByteBuddy() throws Exception {
    byte[] plain = bytesOf(Plain.class);
    assertNull(ClassHeader.supertypes(new byte[0]));
    assertNull(ClassHeader.supertypes("not a class file".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    // Cut inside the constant pool (a cut after the header is the JVM's to refuse, not this reader's).
    for (int cut : new int[] {9, 10, 11, 40}) {
      assertNull(ClassHeader.supertypes(Arrays.copyOf(plain, cut)), "cut at " + cut);
    }
    byte[] badTag = plain.clone();
    badTag[10] = 99; // the first constant's tag
    assertNull(ClassHeader.supertypes(badTag));
  }
}
