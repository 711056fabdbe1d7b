package io.mltrace.collector;

import io.mltrace.bootstrap.Slots;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records drained from the threads' rings while {@link JitYield} holds the analysis: copied as they are, each
 * thread's in its order, and handed to the real visitor later in that order. Copying is one small loop, so holding
 * costs the compilers nearly nothing. Bounded by the hold's record cap; not thread-safe (the collector's lock).
 */
final class HeldRecords implements ThreadRecorder.RecordVisitor {
  private static final int CHUNK = 1024;

  private final Map<ThreadRecorder, List<Chunk>> byThread = new LinkedHashMap<>();
  private long count;

  private static final class Chunk {
    final long[] slots = new long[CHUNK * Slots.WIDTH];
    final String[] names = new String[CHUNK];
    int size;
  }

  @Override
  public void visit(ThreadRecorder source, long[] slots, int base, String name) {
    List<Chunk> chunks = byThread.computeIfAbsent(source, k -> new ArrayList<>());
    Chunk last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
    if (last == null || last.size == CHUNK) {
      last = new Chunk();
      chunks.add(last);
    }
    System.arraycopy(slots, base, last.slots, last.size * Slots.WIDTH, Slots.WIDTH);
    last.names[last.size++] = name;
    count++;
  }

  /** Records held now. */
  long count() {
    return count;
  }

  /** Hands every held record to {@code visitor}, each thread's oldest first, and forgets them. */
  void replayInto(ThreadRecorder.RecordVisitor visitor) {
    for (Map.Entry<ThreadRecorder, List<Chunk>> e : byThread.entrySet()) {
      for (Chunk c : e.getValue()) {
        for (int i = 0; i < c.size; i++) {
          visitor.visit(e.getKey(), c.slots, i * Slots.WIDTH, c.names[i]);
        }
      }
    }
    byThread.clear();
    count = 0;
  }
}
