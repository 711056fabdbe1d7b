package io.mltrace.bootstrap;

/**
 * Span names made of a type, a small index and a constant suffix ({@code DenseLayer[0]}), built once and then
 * served from a fixed-size table without allocation, so that advice can name a span after the instance it runs on.
 *
 * <p>Thread-safe without locks: each slot holds one immutable entry; a racing writer can only replace an entry with
 * an equal one or evict it (the name is then built again). Memory is bounded by the table size.
 */
public final class SpanNames {
  private static final int SIZE = 1024;
  private static final Entry[] TABLE = new Entry[SIZE];

  private SpanNames() {}

  private static final class Entry {
    final Class<?> type;
    final int index;
    final String suffix;
    final String name;

    Entry(Class<?> type, int index, String suffix, String name) {
      this.type = type;
      this.index = index;
      this.suffix = suffix;
      this.name = name;
    }
  }

  /**
   * {@code SimpleName[index]suffix}. {@code suffix} must be a constant (it is compared by identity).
   * Allocates only the first time a combination is seen (or after it was evicted by a colliding one).
   */
  public static String indexed(Class<?> type, int index, String suffix) {
    int h = System.identityHashCode(type) * 31 + index;
    h = (h * 31 + System.identityHashCode(suffix)) * 0x9E3779B9;
    int slot = (h ^ (h >>> 16)) & (SIZE - 1);
    Entry e = TABLE[slot];
    if (e != null && e.type == type && e.index == index && e.suffix == suffix) {
      return e.name;
    }
    String name = type.getSimpleName() + "[" + index + "]" + suffix;
    TABLE[slot] = new Entry(type, index, suffix, name);
    return name;
  }
}
