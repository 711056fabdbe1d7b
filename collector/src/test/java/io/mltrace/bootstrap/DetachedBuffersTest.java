package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The level of ND4J's detached buffers: by address, freed once by whichever free comes first, bounded. */
class DetachedBuffersTest {
  @BeforeEach
  void start() {
    DetachedBuffers.reset();
    DetachedBuffers.follow();
  }

  @AfterEach
  void stop() {
    DetachedBuffers.reset();
  }

  @Test
  void aBufferCountsFromItsAllocationUntilItsFirstFree() {
    DetachedBuffers.allocated(0x1000, 4096);
    DetachedBuffers.allocated(0x2000, 1100);
    DetachedBuffers.allocated(0, 6400); // no address: nothing to free it by
    DetachedBuffers.allocated(0x4000, DetachedBuffers.MIN_BYTES - 1); // a scalar's size: not followed
    assertEquals(5196, DetachedBuffers.liveBytes());
    DetachedBuffers.freed(0x1000); // closed
    DetachedBuffers.freed(0x1000); // then deallocated once collected: already gone
    DetachedBuffers.freed(0x3000); // allocated before the agent, or in a workspace: never counted
    assertEquals(1100, DetachedBuffers.liveBytes());
    DetachedBuffers.allocated(0x2000, 3000); // the address freed without our seeing it, and reused
    assertEquals(3000, DetachedBuffers.liveBytes());
    DetachedBuffers.freed(0x2000);
    assertEquals(0, DetachedBuffers.liveBytes());
  }

  @Test
  void pastItsBoundABufferIsNotCountedAndTheOverflowIs() {
    long b = DetachedBuffers.MIN_BYTES;
    for (int i = 1; i <= DetachedBuffers.MAX_BUFFERS + 10; i++) {
      DetachedBuffers.allocated(i * 4096L, b);
    }
    assertEquals(b * DetachedBuffers.MAX_BUFFERS, DetachedBuffers.liveBytes());
    assertEquals(10, DetachedBuffers.overflowed());
    DetachedBuffers.freed((DetachedBuffers.MAX_BUFFERS + 5) * 4096L); // not counted: changes nothing
    DetachedBuffers.freed(4096);
    assertEquals(b * DetachedBuffers.MAX_BUFFERS - b, DetachedBuffers.liveBytes());
  }

  @Test
  void theAddressTableFindsEveryAddressThroughGrowthAndRemovals() {
    DetachedBuffers.AddressTable t = new DetachedBuffers.AddressTable(4, 1 << 12);
    java.util.Random random = new java.util.Random(7);
    java.util.Map<Long, Long> truth = new java.util.HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      long key = 1 + random.nextInt(3000) * 64L; // page-aligned-like addresses: clustered low bits
      if (random.nextBoolean()) {
        long value = 1 + random.nextInt(1000);
        Long before = truth.put(key, value);
        assertEquals(before == null ? -1 : before, t.put(key, value, 1 << 11));
      } else {
        Long before = truth.remove(key);
        assertEquals(before == null ? -1 : before, t.remove(key));
      }
      assertEquals(truth.size(), t.size());
    }
    for (java.util.Map.Entry<Long, Long> e : truth.entrySet()) {
      assertEquals(e.getValue(), t.remove(e.getKey()));
    }
    assertEquals(0, t.size());
  }
}
