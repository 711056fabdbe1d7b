package io.mltrace.bootstrap;

import java.util.Arrays;

/**
 * An open-addressing table of tensors keyed by their identity hash (linear probing, backward-shift deletion: no
 * tombstones), each with its bytes and, optionally, a reference (a {@link java.lang.ref.WeakReference}: never the
 * tensor itself), a creation site, the creating thread (the outliving table), and a small tag ({@link #tagged}).
 * It grows by doubling up to {@code maxSlots}; past half of that, an added tensor is refused and counted
 * ({@link #overflowed()}).
 *
 * <p>Keys are identity hashes, not the objects: two live tensors with the same hash (31 bits) are told apart by
 * their reference when there is one, and otherwise the first one found is taken; the error is one tensor's bytes,
 * one time in billions. Not thread-safe: one owner thread, or the caller's lock.
 */
final class TensorTable {
  /**
   * A small tag (a step table's holder index, {@link StepTensors}) rides in the top byte of an entry's bytes: no
   * array of its own to fill and move, since every entry of a step's table may carry one.
   */
  static final int TAG_SHIFT = 56;
  static final long BYTES_MASK = (1L << TAG_SHIFT) - 1;

  /** {@code tensorBytes} with {@code tag} (0-127) in the top byte, for {@link #add}. */
  static long tagged(long tensorBytes, int tag) {
    return tensorBytes & BYTES_MASK | (long) tag << TAG_SHIFT;
  }

  private final int maxSlots;
  private int[] keys;
  private long[] bytes;
  private Object[] refs;
  private String[] sites;
  private long[] owners;
  private int size;
  /** True once an entry with a reference, site or owner was added since the last {@link #clear}. */
  private boolean detailsUsed;
  private long sizeBytes;
  private long overflowed;
  private int removedTag;

  TensorTable(int initialSlots, int maxSlots) {
    if (Integer.bitCount(initialSlots) != 1 || Integer.bitCount(maxSlots) != 1 || initialSlots > maxSlots) {
      throw new IllegalArgumentException("slots must be powers of two: " + initialSlots + ", " + maxSlots);
    }
    this.maxSlots = maxSlots;
    allocate(initialSlots);
  }

  private void allocate(int slots) {
    keys = new int[slots];
    bytes = new long[slots];
    refs = null;
    sites = null;
    owners = null;
  }

  /** The key of an object: its identity hash with the top bit set, so that 0 means an empty slot. */
  static int key(Object tensor) {
    return System.identityHashCode(tensor) | 0x8000_0000;
  }

  int size() {
    return size;
  }

  /** The bytes of every tensor in the table. */
  long sizeBytes() {
    return sizeBytes;
  }

  /** Tensors refused because the table was full. */
  long overflowed() {
    return overflowed;
  }

  int slots() {
    return keys.length;
  }

  private int home(int key) {
    return (key * 0x9E37_79B9) >>> (32 - Integer.numberOfTrailingZeros(keys.length)) & (keys.length - 1);
  }

  /** Adds a tensor; false (and counted) when the table is full. */
  boolean add(int key, long tensorBytes) {
    return add(key, tensorBytes, null, null, 0);
  }

  /** Adds a tensor with its reference, site and owner; false (and counted) when the table is full. */
  boolean add(int key, long tensorBytes, Object ref, String site, long owner) {
    if (2 * (size + 1) > keys.length && !grow()) {
      overflowed++;
      return false;
    }
    insert(key, tensorBytes, ref, site, owner);
    size++;
    sizeBytes += tensorBytes & BYTES_MASK;
    return true;
  }

  private void insert(int key, long tensorBytes, Object ref, String site, long owner) {
    int mask = keys.length - 1;
    int i = home(key);
    while (keys[i] != 0) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    bytes[i] = tensorBytes;
    if (ref != null || site != null || owner != 0) {
      if (refs == null) {
        refs = new Object[keys.length];
        sites = new String[keys.length];
        owners = new long[keys.length];
      }
      refs[i] = ref;
      sites[i] = site;
      owners[i] = owner;
      detailsUsed = true;
    }
  }

  private boolean grow() {
    if (keys.length >= maxSlots) {
      return false;
    }
    int[] oldKeys = keys;
    long[] oldBytes = bytes;
    Object[] oldRefs = refs;
    String[] oldSites = sites;
    long[] oldOwners = owners;
    allocate(keys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != 0) {
        insert(oldKeys[i], oldBytes[i], oldRefs == null ? null : oldRefs[i], oldSites == null ? null : oldSites[i],
            oldOwners == null ? 0 : oldOwners[i]);
      }
    }
    return true;
  }

  /**
   * Removes the tensor with this key whose reference refers to {@code tensor} (or, for an entry without a
   * reference, the first with this key); returns its bytes, or -1 when it is not in the table.
   */
  long remove(int key, Object tensor) {
    int mask = keys.length - 1;
    for (int i = home(key); keys[i] != 0; i = (i + 1) & mask) {
      if (keys[i] == key && refersTo(i, tensor)) {
        long b = bytes[i];
        removedTag = (int) (b >>> TAG_SHIFT);
        delete(i);
        return b & BYTES_MASK;
      }
    }
    return -1;
  }

  /** The tag of the entry the last successful {@link #remove} took out (0: none). */
  int removedTag() {
    return removedTag;
  }

  /** Removes the entry whose reference is {@code ref} itself (a cleared weak reference); its bytes, or -1. */
  long removeReference(int key, Object ref) {
    int mask = keys.length - 1;
    for (int i = home(key); keys[i] != 0; i = (i + 1) & mask) {
      if (keys[i] == key && refs != null && refs[i] == ref) {
        long b = bytes[i];
        delete(i);
        return b & BYTES_MASK;
      }
    }
    return -1;
  }

  private boolean refersTo(int i, Object tensor) {
    Object ref = refs == null ? null : refs[i];
    if (ref == null || tensor == null) {
      return true;
    }
    return ref instanceof java.lang.ref.Reference ? ((java.lang.ref.Reference<?>) ref).get() == tensor
        : ref == tensor;
  }

  /** Backward-shift deletion: entries after {@code i} in its run move back so that every probe still finds them. */
  private void delete(int i) {
    size--;
    sizeBytes -= bytes[i] & BYTES_MASK;
    int mask = keys.length - 1;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      if (keys[j] == 0) {
        break;
      }
      int k = home(keys[j]);
      boolean stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) {
        continue;
      }
      keys[i] = keys[j];
      bytes[i] = bytes[j];
      if (refs != null) {
        refs[i] = refs[j];
        sites[i] = sites[j];
        owners[i] = owners[j];
      }
      i = j;
    }
    keys[i] = 0;
    bytes[i] = 0;
    if (refs != null) {
      refs[i] = null;
      sites[i] = null;
      owners[i] = 0;
    }
  }

  /** Empties the table (its slots stay allocated). */
  void clear() {
    if (size > 0) {
      Arrays.fill(keys, 0);
      Arrays.fill(bytes, 0);
      if (detailsUsed) {
        Arrays.fill(refs, null);
        Arrays.fill(sites, null);
        Arrays.fill(owners, 0);
      }
    }
    detailsUsed = false;
    size = 0;
    sizeBytes = 0;
  }

  /** True when an entry with a reference, site or owner was added since the last {@link #clear}. */
  boolean hasDetails() {
    return detailsUsed;
  }

  // Slot-by-slot reading, for plain loops (no lambda: the step's close must not pay a first lambda's bootstrap).
  // A slot is empty when its key is 0. Reading must not be mixed with adding or removing.

  int keyAt(int slot) {
    return keys[slot];
  }

  long bytesAt(int slot) {
    return bytes[slot] & BYTES_MASK;
  }

  Object refAt(int slot) {
    return refs == null ? null : refs[slot];
  }

  String siteAt(int slot) {
    return sites == null ? null : sites[slot];
  }

  long ownerAt(int slot) {
    return owners == null ? 0 : owners[slot];
  }
}
