package io.mltrace.gpu;

/** CUPTI's memcpy kinds (CUpti_ActivityMemcpyKind) as the short names the accounting uses. */
final class CopyKind {
  static final int HTOD = 1;
  static final int DTOH = 2;
  static final int DTOD = 8;

  private CopyKind() {}

  static String name(int kind) {
    switch (kind) {
      case HTOD: return "H2D";
      case DTOH: return "D2H";
      case DTOD: return "D2D";
      case 3: return "H2A";
      case 4: return "A2H";
      case 5: return "A2A";
      case 6: return "A2D";
      case 7: return "D2A";
      case 9: return "H2H";
      case 10: return "P2P";
      default: return "other";
    }
  }
}
