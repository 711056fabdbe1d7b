package io.mltrace.gpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The consumer side of the bridge's record ring: a direct buffer with a 128-byte header (the producer's written
 * count at 0, the consumer's count at 64) and then 80-byte records, laid out as {@code mltrace_cupti.c} describes.
 *
 * <p>WARNING: single consumer. Only one thread at a time may call {@link #drain}; the bridge is the one producer.
 */
final class GpuRecordRing {
  static final int HEADER_BYTES = 128;
  static final int RECORD_BYTES = 80;

  static final int TYPE_KERNEL = 1;
  static final int TYPE_MEMCPY = 2;
  static final int TYPE_MEMSET = 3;
  static final int TYPE_ALLOC = 4;
  static final int TYPE_FREE = 5;

  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Receives one record; the fields are valid only during the call. */
  interface Visitor {
    void record(GpuRecordRing ring, int offset);
  }

  private final ByteBuffer buffer;
  private final long mask;

  GpuRecordRing(int records) {
    int capacity = Integer.highestOneBit(Math.max(2, records));
    this.buffer = ByteBuffer.allocateDirect(HEADER_BYTES + capacity * RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    this.mask = capacity - 1;
  }

  ByteBuffer buffer() {
    return buffer;
  }

  int capacity() {
    return (int) mask + 1;
  }

  /** Visits every published record, oldest first, then frees their slots. Returns how many. */
  int drain(Visitor visitor) {
    long end = (long) LONGS.getAcquire(buffer, 0);
    long from = (long) LONGS.getAcquire(buffer, 64);
    for (long i = from; i < end; i++) {
      visitor.record(this, HEADER_BYTES + (int) (i & mask) * RECORD_BYTES);
    }
    LONGS.setRelease(buffer, 64, end);
    return (int) (end - from);
  }

  int type(int at) {
    return buffer.get(at) & 0xff;
  }

  int copyKind(int at) {
    return buffer.get(at + 1) & 0xff;
  }

  /** CUPTI's memory kind of an allocation or release (the copy kind's byte). */
  int memoryKind(int at) {
    return buffer.get(at + 1) & 0xff;
  }

  /** The device address of an allocation or release (where a kernel's grid and block sizes are). */
  long address(int at) {
    return buffer.getLong(at + 52);
  }

  boolean joined(int at) {
    return (buffer.getShort(at + 2) & 1) != 0;
  }

  /** Whether the API call that launched the record is known ({@link #launchStartNs}, {@link #launchEndNs}). */
  boolean launchKnown(int at) {
    return (buffer.getShort(at + 2) & 2) != 0;
  }

  long launchStartNs(int at) {
    return buffer.getLong(at + 64);
  }

  long launchEndNs(int at) {
    return buffer.getLong(at + 72);
  }

  int nameId(int at) {
    return buffer.getInt(at + 4);
  }

  long startNs(int at) {
    return buffer.getLong(at + 8);
  }

  long endNs(int at) {
    return buffer.getLong(at + 16);
  }

  long externalId(int at) {
    return buffer.getLong(at + 24);
  }

  long bytes(int at) {
    return buffer.getLong(at + 32);
  }

  int device(int at) {
    return buffer.getInt(at + 40);
  }

  int stream(int at) {
    return buffer.getInt(at + 44);
  }

  int correlationId(int at) {
    return buffer.getInt(at + 48);
  }

  int gridX(int at) {
    return buffer.getInt(at + 52);
  }

  int blockX(int at) {
    return buffer.getInt(at + 56);
  }
}
