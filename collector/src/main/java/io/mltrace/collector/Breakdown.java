package io.mltrace.collector;

import java.util.EnumMap;
import java.util.Map;

/** A step's wall time split into {@link Category}s; the parts sum exactly to the wall time. */
public final class Breakdown {
  private final long[] ns;

  Breakdown(long[] ns) {
    this.ns = ns;
  }

  public long ns(Category c) {
    return ns[c.ordinal()];
  }

  long[] copy() {
    return ns.clone();
  }

  public long total() {
    long t = 0;
    for (long v : ns) {
      t += v;
    }
    return t;
  }

  /** Every category, in priority order. */
  public Map<Category, Long> asMap() {
    Map<Category, Long> m = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      m.put(c, ns[c.ordinal()]);
    }
    return m;
  }
}
