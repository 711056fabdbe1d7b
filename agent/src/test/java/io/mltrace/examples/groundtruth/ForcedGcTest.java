package io.mltrace.examples.groundtruth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * The accounting tests' forced GC (here, beside the tests that read it: the examples module has no tests of its own).
 */
class ForcedGcTest {
  @Test
  void eachCallIsOneCollectionWithTheCauseSystemGc() {
    long before = ForcedGc.explicitCollections();
    for (int i = 0; i < 3; i++) {
      int requests = ForcedGc.collect();
      assertTrue(requests >= 1 && requests <= ForcedGc.MAX_REQUESTS, "requests " + requests);
    }
    assertEquals(3, ForcedGc.explicitCollections() - before);
  }

  /**
   * Another thread in and out of JNI critical sections (the JDK's Inflater pins its arrays) while the job forces
   * collections: G1 drops a full collection that finds the GC locker held and runs a young one when the locker is
   * released, so the collection count moves without the requested collection. The thread rests between sections, as
   * a class loader reading a jar would, so that asking again can find the locker free.
   */
  @Test
  void aCollectionDroppedForTheGcLockerIsAskedForAgain() throws Exception {
    byte[] plain = new byte[1 << 16];
    Deflater deflater = new Deflater(Deflater.BEST_SPEED);
    deflater.setInput(plain);
    deflater.finish();
    byte[] packed = new byte[1 << 17];
    int packedLength = deflater.deflate(packed);
    deflater.end();
    Thread critical = new Thread(() -> {
      byte[] unpacked = new byte[plain.length];
      Inflater inflater = new Inflater();
      while (!Thread.currentThread().isInterrupted()) {
        inflater.reset();
        inflater.setInput(packed, 0, packedLength);
        try {
          while (!inflater.finished()) {
            inflater.inflate(unpacked);
          }
          java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        } catch (java.util.zip.DataFormatException e) {
          throw new IllegalStateException(e);
        }
      }
      inflater.end();
    }, "in-and-out-of-critical-sections");
    critical.setDaemon(true);
    critical.start();
    try {
      long before = ForcedGc.explicitCollections();
      int calls = 20;
      for (int i = 0; i < calls; i++) {
        ForcedGc.collect();
      }
      assertEquals(calls, ForcedGc.explicitCollections() - before);
    } finally {
      critical.interrupt();
      critical.join();
    }
  }
}
