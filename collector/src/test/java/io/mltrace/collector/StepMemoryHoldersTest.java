package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.bootstrap.MemorySlots;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A step's surviving tensors by holder: apart from the creation sites, one line per label, largest first. */
class StepMemoryHoldersTest {
  private static long[] site(int series, long bytes, long count) {
    long[] r = new long[MemorySlots.SITE_SERIES + 1];
    r[MemorySlots.SITE_SERIES] = series;
    r[MemorySlots.SITE_BYTES] = bytes;
    r[MemorySlots.SITE_COUNT] = count;
    return r;
  }

  @Test
  void holdersWithOneLabelAreOneLineAndCreationSitesStayApart() {
    StepMemory m = new StepMemory();
    m.addSiteRecord("batch", site(MemorySlots.STEP_ARRAYS_ALIVE_BYTES, 100, 3), 0);
    m.addSiteRecord("Job.keep(Job.java:7)", site(MemorySlots.ARRAYS_LIVE_BYTES, 4096, 1), 0);
    m.addSiteRecord("kept arrays", site(MemorySlots.STEP_ARRAYS_ALIVE_BYTES, 4096, 1), 0);
    m.addSiteRecord("batch", site(MemorySlots.STEP_ARRAYS_ALIVE_BYTES, 40, 2), 0);

    assertEquals(List.of(new MemorySite("kept arrays", MemorySeries.STEP_ARRAYS_ALIVE_BYTES, 4096, 1),
        new MemorySite("batch", MemorySeries.STEP_ARRAYS_ALIVE_BYTES, 140, 5)), m.aliveByHolder());
    assertEquals(List.of(new MemorySite("Job.keep(Job.java:7)", MemorySeries.ARRAYS_LIVE_BYTES, 4096, 1)),
        m.sites(), "the leak finder's sites hold no holder");
  }
}
