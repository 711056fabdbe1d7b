package io.mltrace.agent.instrument;

/**
 * Reads a class file's direct supertypes from its header (constant pool, super class, interfaces) without Byte
 * Buddy: the weaving cache's answer for a class it does not know, when no hook can match it ({@link CachedWeaving}).
 */
final class ClassHeader {
  private ClassHeader() {}

  /**
   * The super class and then the interfaces the class names directly, in the JVM's internal form
   * ({@code java/lang/Object}); null for a class without a super class ({@code java/lang/Object} itself,
   * {@code module-info}) and for anything it cannot read.
   */
  static String[] supertypes(byte[] classFile) {
    try {
      return read(classFile);
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  /**
   * Whether an internal name is in the platform's {@code java/} tree: only the platform defines classes there (the
   * JVM refuses them to any other loader), so none has a framework type among its supertypes.
   */
  static boolean inJavaPackage(String internalName) {
    return internalName.startsWith("java/");
  }

  private static String[] read(byte[] b) {
    if (b.length < 10 || u4(b, 0) != 0xCAFEBABE) {
      return null;
    }
    int count = u2(b, 8);
    int[] offsets = new int[count]; // of each constant's tag
    int p = 10;
    for (int i = 1; i < count; i++) {
      offsets[i] = p;
      int tag = b[p] & 0xff;
      switch (tag) {
        case 1: p += 3 + u2(b, p + 1); break; // Utf8
        case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18: p += 5; break;
        case 5: case 6: p += 9; i++; break; // Long and Double take two entries
        case 7: case 8: case 16: case 19: case 20: p += 3; break;
        case 15: p += 4; break;
        default: return null;
      }
    }
    p += 2; // access flags
    p += 2; // this class
    int superIndex = u2(b, p);
    p += 2;
    if (superIndex == 0) {
      return null;
    }
    int interfaces = u2(b, p);
    p += 2;
    String[] names = new String[1 + interfaces];
    names[0] = className(b, offsets, superIndex);
    for (int i = 0; i < interfaces; i++) {
      names[1 + i] = className(b, offsets, u2(b, p + 2 * i));
    }
    for (String n : names) {
      if (n == null) {
        return null;
      }
    }
    return names;
  }

  /** The name constant {@code classIndex} (a Class entry) gives; null when it is not one. */
  private static String className(byte[] b, int[] offsets, int classIndex) {
    int c = offsets[classIndex];
    if ((b[c] & 0xff) != 7) {
      return null;
    }
    int u = offsets[u2(b, c + 1)];
    if ((b[u] & 0xff) != 1) {
      return null;
    }
    // Class names are plain ASCII in practice; modified UTF-8 decodes the rest as the JVM would for these checks.
    return new String(b, u + 3, u2(b, u + 1), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static int u2(byte[] b, int p) {
    return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
  }

  private static int u4(byte[] b, int p) {
    return u2(b, p) << 16 | u2(b, p + 2);
  }
}
