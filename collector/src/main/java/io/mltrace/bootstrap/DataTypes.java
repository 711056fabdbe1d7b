package io.mltrace.bootstrap;

/**
 * Element types of tensors as small stable codes, so that a span record can carry one in its header
 * ({@link Slots#dtype}). Frameworks map their own enum to these by name ({@link #code(String)}).
 */
public final class DataTypes {
  public static final int UNKNOWN = 0;
  public static final int FLOAT32 = 1;
  public static final int FLOAT64 = 2;
  public static final int FLOAT16 = 3;
  public static final int BFLOAT16 = 4;
  public static final int INT8 = 5;
  public static final int INT16 = 6;
  public static final int INT32 = 7;
  public static final int INT64 = 8;
  public static final int UINT8 = 9;
  public static final int BOOL = 10;
  public static final int COMPLEX64 = 11;
  public static final int STRING = 12;

  private DataTypes() {}

  /**
   * The code of a framework's type name: ND4J's {@code DataType.name()} ({@code FLOAT}, {@code DOUBLE},
   * {@code HALF}, {@code INT}, {@code LONG}, ...) and DJL's ({@code FLOAT32}, {@code INT64}, {@code BOOLEAN},
   * {@code COMPLEX64}, ...) both map. Case-sensitive, as both enums are upper-case; names not listed map to
   * {@link #UNKNOWN}. Allocation-free.
   */
  public static int code(String name) {
    if (name == null) {
      return UNKNOWN;
    }
    switch (name) {
      case "FLOAT": case "FLOAT32": return FLOAT32;
      case "DOUBLE": case "FLOAT64": return FLOAT64;
      case "HALF": case "FLOAT16": return FLOAT16;
      case "BFLOAT16": return BFLOAT16;
      case "BYTE": case "INT8": return INT8;
      case "SHORT": case "INT16": return INT16;
      case "INT": case "INT32": return INT32;
      case "LONG": case "INT64": return INT64;
      case "UBYTE": case "UINT8": return UINT8;
      case "BOOL": case "BOOLEAN": return BOOL;
      case "COMPLEX64": return COMPLEX64;
      case "STRING": return STRING;
      default: return UNKNOWN;
    }
  }

  /** A lower-case name for output formats; null for {@link #UNKNOWN}. */
  public static String name(int code) {
    switch (code) {
      case FLOAT32: return "float32";
      case FLOAT64: return "float64";
      case FLOAT16: return "float16";
      case BFLOAT16: return "bfloat16";
      case INT8: return "int8";
      case INT16: return "int16";
      case INT32: return "int32";
      case INT64: return "int64";
      case UINT8: return "uint8";
      case BOOL: return "bool";
      case COMPLEX64: return "complex64";
      case STRING: return "string";
      default: return null;
    }
  }
}
