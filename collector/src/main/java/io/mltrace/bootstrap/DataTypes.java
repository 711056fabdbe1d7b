package io.mltrace.bootstrap;

/**
 * Element types of tensors as small codes, so that an op record can carry its input's type in the header.
 *
 * <p>Advice maps the framework's own type name (DJL's {@code DataType.name()}, such as {@code FLOAT32}) to a code
 * with {@link #code(String)}; exporters turn it back into a lower-case name with {@link #name(int)}.
 */
public final class DataTypes {
  private static final String[] NAMES = {null, "float32", "float64", "float16", "bfloat16", "int8", "uint8",
      "int32", "int64", "boolean", "complex64", "string", "unknown"};

  private DataTypes() {}

  /** The code of a framework type name (case-insensitive); the code of {@code unknown} when not listed. */
  public static int code(String frameworkName) {
    if (frameworkName == null) {
      return 0;
    }
    for (int i = 1; i < NAMES.length; i++) {
      if (NAMES[i].equalsIgnoreCase(frameworkName)) {
        return i;
      }
    }
    return NAMES.length - 1;
  }

  /** The lower-case name of a code, or null for 0 (not recorded) and codes out of range. */
  public static String name(int code) {
    return code > 0 && code < NAMES.length ? NAMES[code] : null;
  }
}
