package io.mltrace.agent.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.bootstrap.MemoryGauges;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The resident memory's gauge reads its costly source at most once per period and skips the steps between. */
class ThrottledGaugeTest {
  @Test
  void readsOncePerPeriodAndReportsNotMeasuredBetween() throws Exception {
    AtomicLong reads = new AtomicLong();
    Dl4jMemory.Throttled gauge = new Dl4jMemory.Throttled(1_000_000_000L, () -> 1000 + reads.incrementAndGet());
    assertEquals(1001, gauge.getAsLong(), "the first step reads");
    for (int i = 0; i < 100; i++) {
      assertEquals(MemoryGauges.NOT_MEASURED, gauge.getAsLong(), "within the period: no reading");
    }
    assertEquals(1, reads.get());
    Thread.sleep(1100);
    assertEquals(1002, gauge.getAsLong(), "the first step after the period reads again");
    assertEquals(MemoryGauges.NOT_MEASURED, gauge.getAsLong());
  }
}
