package io.mltrace.bootstrap;

/**
 * ND4J's data buffers outside workspaces (detached), by native address, for the level
 * {@link MemorySlots#DETACHED_LIVE_BYTES}: bytes libnd4j allocated for them and has not freed yet. ND4J counts them
 * nowhere (its {@code MemoryManager} sees workspaces and JavaCPP's pointers, not libnd4j's own allocations), so a
 * DL4J job that keeps an array per step grows this level and no other that the leak finder judges.
 *
 * <p>The hooks: {@code OpaqueDataBuffer.allocateDataBuffer} ({@link #allocated}, on the allocating thread) and the two
 * ways libnd4j frees one: {@code OpaqueDataBuffer.closeBuffer()} (an explicit close) and {@code CpuDeallocator
 * .deallocate()} (ND4J's deallocator thread, once the collector found the buffer unreachable) ({@link #freed}; the
 * first of them frees, the other finds nothing). Buffers under {@link #MIN_BYTES} are not followed: a DL4J step
 * allocates a dozen such buffers, mostly scalars (its score) that the collector frees late (a run of 4,000 steps ended
 * with 27,000 of them in the map, 56 KB in all), and a leak that matters (64 KiB a step) is not made of them.
 * A DL4J step frees about a hundred buffers of every kind (ND4J's deallocator thread mostly), each a probe of an
 * open-addressing table of addresses under a lock: no allocation. At most {@link #MAX_BUFFERS} are followed (more
 * are not counted, and counted in {@link #overflowed}). An address freed unseen and then reused replaces its entry.
 */
public final class DetachedBuffers {
  static final int MAX_BUFFERS = 1 << 16;
  /** Smaller buffers are not followed (see above). */
  public static final long MIN_BYTES = 1024;
  private static final Object LOCK = new Object();
  private static final AddressTable BYTES_BY_ADDRESS = new AddressTable(1024, 2 * MAX_BUFFERS);
  /** Written under the lock; read without it at each step's close (the gauge, on the training thread). */
  private static volatile long liveBytes;
  private static long overflowed;
  private static volatile boolean gaugeInstalled;
  private static volatile boolean following;

  private DetachedBuffers() {}

  /** From now on, allocations are counted (the DL4J hooks with memory on; with {@code memory=off}, never). */
  public static void follow() {
    following = true;
  }

  /** libnd4j allocated {@code bytes} at {@code address} for a buffer outside workspaces. Any thread; never throws. */
  public static void allocated(long address, long bytes) {
    if (!following || address == 0 || bytes < MIN_BYTES) {
      return;
    }
    if (!gaugeInstalled) {
      installGauge();
    }
    synchronized (LOCK) {
      long before = BYTES_BY_ADDRESS.put(address, bytes, MAX_BUFFERS);
      if (before == AddressTable.FULL) {
        overflowed++;
        return;
      }
      liveBytes += bytes - Math.max(0, before);
    }
  }

  /** libnd4j freed the buffer at {@code address} (one that was not counted changes nothing). Any thread. */
  public static void freed(long address) {
    if (address == 0) {
      return;
    }
    synchronized (LOCK) {
      long bytes = BYTES_BY_ADDRESS.remove(address);
      if (bytes > 0) {
        liveBytes -= bytes;
      }
    }
  }

  /** Bytes of the counted buffers not yet freed. */
  public static long liveBytes() {
    return liveBytes;
  }

  /** Buffers not counted because {@link #MAX_BUFFERS} were. */
  public static long overflowed() {
    synchronized (LOCK) {
      return overflowed;
    }
  }

  private static synchronized void installGauge() {
    if (!gaugeInstalled) {
      MemoryGauges.installAnyThread(MemorySlots.DETACHED_LIVE_BYTES, DetachedBuffers::liveBytes);
      gaugeInstalled = true;
    }
  }

  /** Visible for tests: forgets every buffer. */
  static void reset() {
    synchronized (LOCK) {
      BYTES_BY_ADDRESS.clear();
      liveBytes = 0;
      overflowed = 0;
    }
  }

  /**
   * Address → bytes, open addressing with linear probing and backward-shift deletion (no tombstones), grown by
   * doubling up to {@code maxSlots}. Address 0 marks a free slot (never a buffer's). Callers hold the lock.
   */
  static final class AddressTable {
    static final long FULL = -2;
    private long[] keys;
    private long[] values;
    private int size;
    private final int maxSlots;

    AddressTable(int slots, int maxSlots) {
      this.keys = new long[slots];
      this.values = new long[slots];
      this.maxSlots = maxSlots;
    }

    int size() {
      return size;
    }

    /** The bytes it replaced, -1 when the address was new, {@link #FULL} when it holds {@code max} already. */
    long put(long key, long value, int max) {
      int i = find(key);
      if (keys[i] == key) {
        long before = values[i];
        values[i] = value;
        return before;
      }
      if (size >= max) {
        return FULL;
      }
      if ((size + 1) * 2 > keys.length && keys.length < maxSlots) {
        grow();
        i = find(key);
      }
      keys[i] = key;
      values[i] = value;
      size++;
      return -1;
    }

    /** The bytes of the removed address, -1 when it was not there. */
    long remove(long key) {
      int i = find(key);
      if (keys[i] != key) {
        return -1;
      }
      long removed = values[i];
      int mask = keys.length - 1;
      int hole = i;
      for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
        int home = slot(keys[j], mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) { // the entry may move back into the hole
          keys[hole] = keys[j];
          values[hole] = values[j];
          hole = j;
        }
      }
      keys[hole] = 0;
      values[hole] = 0;
      size--;
      return removed;
    }

    void clear() {
      java.util.Arrays.fill(keys, 0);
      java.util.Arrays.fill(values, 0);
      size = 0;
    }

    private int find(long key) {
      int mask = keys.length - 1;
      int i = slot(key, mask);
      while (keys[i] != 0 && keys[i] != key) {
        i = (i + 1) & mask;
      }
      return i;
    }

    private static int slot(long key, int mask) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 32) & mask;
    }

    private void grow() {
      long[] oldKeys = keys;
      long[] oldValues = values;
      keys = new long[oldKeys.length * 2];
      values = new long[oldKeys.length * 2];
      size = 0;
      for (int i = 0; i < oldKeys.length; i++) {
        if (oldKeys[i] != 0) {
          int j = find(oldKeys[i]);
          keys[j] = oldKeys[i];
          values[j] = oldValues[i];
          size++;
        }
      }
    }
  }
}
