package io.mltrace.agent.instrument;

/**
 * Reads a class file's direct supertypes from its header (constant pool, super class, interfaces) without Byte
 * Buddy: the weaving cache's answer for a class it does not know, when no hook can match it (see
 * {@link #onlyJdkSupertypes}).
 */
final class ClassHeader {
  private ClassHeader() {}

  /**
   * True when the class has a super class and it and every interface the class names directly are in {@code java/}:
   * only the platform defines classes there (the JVM refuses them to any other loader), and none of them has a
   * framework type among its own supertypes, so no hook that matches a type by its supertypes matches this one.
   * False for anything it cannot read (then Byte Buddy decides, as before).
   */
  static boolean onlyJdkSupertypes(byte[] classFile) {
    try {
      return read(classFile);
    } catch (RuntimeException malformed) {
      return false;
    }
  }

  private static boolean read(byte[] b) {
    if (b.length < 10 || u4(b, 0) != 0xCAFEBABE) {
      return false;
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
        default: return false;
      }
    }
    p += 2; // access flags
    p += 2; // this class
    int superIndex = u2(b, p);
    p += 2;
    if (superIndex == 0 || !inJavaPackage(b, offsets, superIndex)) {
      return false; // java/lang/Object itself or module-info, or a super class outside the platform
    }
    int interfaces = u2(b, p);
    p += 2;
    for (int i = 0; i < interfaces; i++) {
      if (!inJavaPackage(b, offsets, u2(b, p + 2 * i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether constant {@code classIndex} (a Class entry) names a type under {@code java/}. */
  private static boolean inJavaPackage(byte[] b, int[] offsets, int classIndex) {
    int c = offsets[classIndex];
    if ((b[c] & 0xff) != 7) {
      return false;
    }
    int u = offsets[u2(b, c + 1)];
    if ((b[u] & 0xff) != 1) {
      return false;
    }
    int length = u2(b, u + 1);
    return length > 5 && b[u + 3] == 'j' && b[u + 4] == 'a' && b[u + 5] == 'v' && b[u + 6] == 'a'
        && b[u + 7] == '/';
  }

  private static int u2(byte[] b, int p) {
    return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
  }

  private static int u4(byte[] b, int p) {
    return u2(b, p) << 16 | u2(b, p + 2);
  }
}
