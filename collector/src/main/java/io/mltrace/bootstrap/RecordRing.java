package io.mltrace.bootstrap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A single-producer single-consumer ring of fixed-size records ({@link Slots#WIDTH} longs and a name each), the
 * model being JCTools' SPSC queues: the producer publishes with a release store of its write count, the consumer
 * frees slots with a release store of its read count, and neither ever waits for the other. A full ring drops the
 * record and counts it.
 *
 * <p>Contract: {@link #claim}, {@link #publish}, {@link #countDropped} and {@link #slots} (to fill a claimed record)
 * belong to the owning thread (the single producer); {@link #drain} to one consumer thread at a time (the
 * collector); {@link #dropped} and {@link #pending} are safe from any thread.
 */
final class RecordRing {
  private static final VarHandle PUBLISHED;
  private static final VarHandle CONSUMED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      PUBLISHED = lookup.findVarHandle(RecordRing.class, "published", long.class);
      CONSUMED = lookup.findVarHandle(RecordRing.class, "consumed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long[] slots;
  /**
   * Each record's name: a {@code String}, or (a step's survivors per holder) the holder itself, which the consumer
   * labels ({@link TensorLife#holderLabel}) so that the training thread never does, and then forgets.
   */
  private final Object[] names;
  private final int mask;

  // Producer-owned; published with release semantics.
  @SuppressWarnings("unused") // accessed through PUBLISHED
  private volatile long published;
  private long written;
  private long consumedCache;
  // Consumer-owned; read by the producer to find free space.
  @SuppressWarnings("unused") // accessed through CONSUMED
  private volatile long consumed;
  /** Records lost because the ring was full or nesting was too deep. Written by the producer only. */
  private volatile long dropped;

  RecordRing(int capacityRecords) {
    int capacity = Integer.highestOneBit(Math.max(2, capacityRecords));
    this.slots = new long[capacity * Slots.WIDTH];
    this.names = new Object[capacity];
    this.mask = capacity - 1;
  }

  /** The record array: a claimed record is {@code slots()[base + Slots.X]}. Producer. */
  long[] slots() {
    return slots;
  }

  /** The offset of the next free record, to fill and {@link #publish}; -1 (a drop counted) when the ring is full. */
  int claim() {
    long w = written;
    if (w - consumedCache > mask) {
      consumedCache = (long) CONSUMED.getAcquire(this);
      if (w - consumedCache > mask) {
        countDropped();
        return -1;
      }
    }
    return (int) (w & mask) * Slots.WIDTH;
  }

  /** Hands the record claimed at {@code base} to the consumer. Producer. */
  void publish(int base, String name) {
    publishNamedBy(base, name);
  }

  /**
   * Hands the record claimed at {@code base} to the consumer, named by {@code holder}: a String, or an object the
   * consumer labels through {@link TensorLife#holderLabel} (held only until then). Producer.
   */
  void publishNamedBy(int base, Object holder) {
    names[base / Slots.WIDTH] = holder;
    written++;
    PUBLISHED.setRelease(this, written);
  }

  /** A record that was never claimed is lost (nesting too deep). Producer. */
  @SuppressWarnings("NonAtomicOperationOnVolatileField") // one writer
  void countDropped() {
    dropped++;
  }

  long dropped() {
    return dropped;
  }

  long pending() {
    return (long) PUBLISHED.getAcquire(this) - (long) CONSUMED.getAcquire(this);
  }

  /** Hands every published record to the visitor, oldest first, and frees their slots. Consumer. */
  int drain(ThreadRecorder source, ThreadRecorder.RecordVisitor visitor) {
    long end = (long) PUBLISHED.getAcquire(this);
    long from = (long) CONSUMED.getAcquire(this);
    int n = 0;
    for (long i = from; i < end; i++) {
      int index = (int) (i & mask);
      Object name = names[index];
      if (name != null && !(name instanceof String)) {
        names[index] = null; // a holder is not kept alive by the ring
        name = TensorLife.holderLabel(name);
      }
      visitor.visit(source, slots, index * Slots.WIDTH, (String) name);
      n++;
    }
    CONSUMED.setRelease(this, end);
    return n;
  }
}
