package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tensor tracker: levels, the step's flows, creation sites of outliving tensors, bounds, weak references. */
class TensorLifeTest {
  private ThreadRecorder tr;
  private long stepNumber;
  /** The last closed step's memory series (absent: not in the map) and its sites, site → {bytes, count}. */
  private final Map<Integer, Long> memory = new HashMap<>();
  private final Map<String, long[]> sites = new LinkedHashMap<>();
  /** The last closed step's survivors by holder label → {bytes, count}. */
  private final Map<String, long[]> holders = new LinkedHashMap<>();

  @BeforeEach
  void start() {
    TensorLife.reset();
    TensorLife.captureSitesInSampledSteps(true); // as once the leak finder suspects a tensor series
    Recorder.setEnabled(true);
    tr = ThreadRegistry.local();
    tr.drain((s, r, b, n) -> { });
  }

  @AfterEach
  void stop() {
    TensorLife.labelHoldersWith(null);
    TensorLife.countElementsWith(null);
    Recorder.setEnabled(false);
    TensorLife.captureSitesInSampledSteps(false);
    TensorLife.reset();
  }

  private void open(boolean detailed) {
    tr.openStep(System.nanoTime(), detailed);
  }

  private void close() {
    tr.closeStep(System.nanoTime(), ++stepNumber);
    drainClosed();
  }

  private void drainClosed() {
    memory.clear();
    sites.clear();
    holders.clear();
    tr.drain((source, r, base, name) -> {
      int kind = Slots.kind(r[base + Slots.HEADER]);
      if (kind == Kind.STEP_MEMORY) {
        for (int i = 0; i < MemorySlots.COUNT; i++) {
          if ((r[base + Slots.FLOPS] & (1L << i)) != 0) {
            memory.put(i, r[base + Slots.DIMS + i]);
          }
        }
      } else if (kind == Kind.MEMORY_SITE && r[base + MemorySlots.SITE_SERIES] == MemorySlots.STEP_ARRAYS_ALIVE_BYTES) {
        holders.put(name, new long[] {r[base + MemorySlots.SITE_BYTES], r[base + MemorySlots.SITE_COUNT]});
      } else if (kind == Kind.MEMORY_SITE) {
        assertEquals(MemorySlots.ARRAYS_LIVE_BYTES, r[base + MemorySlots.SITE_SERIES]);
        sites.put(name, new long[] {r[base + MemorySlots.SITE_BYTES], r[base + MemorySlots.SITE_COUNT]});
      }
    });
  }

  @Test
  void tableFindsEveryKeyAfterRemovalsAndRefusesPastItsBound() {
    TensorTable t = new TensorTable(16, 1024);
    List<Object> objects = new ArrayList<>();
    for (int i = 0; i < 512; i++) {
      Object o = new Object();
      objects.add(o);
      assertTrue(t.add(TensorTable.key(o), i + 1, new WeakReference<>(o), "s", 0));
    }
    assertFalse(t.add(TensorTable.key(new Object()), 7), "half the maximum slots is the bound");
    assertEquals(1, t.overflowed());
    for (int i = 0; i < 512; i += 2) {
      assertEquals(i + 1, t.remove(TensorTable.key(objects.get(i)), objects.get(i)));
    }
    assertEquals(256, t.size());
    for (int i = 1; i < 512; i += 2) {
      assertEquals(i + 1, t.remove(TensorTable.key(objects.get(i)), objects.get(i)), "entry " + i);
    }
    assertEquals(0, t.size());
    assertEquals(0, t.sizeBytes());
    assertEquals(-1, t.remove(TensorTable.key(objects.get(0)), objects.get(0)));
  }

  @Test
  void aTagRidesWithItsEntryThroughGrowthAndRemovalWithoutTouchingTheBytes() {
    TensorTable t = new TensorTable(16, 1024);
    List<Object> objects = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Object o = new Object();
      objects.add(o);
      assertTrue(t.add(TensorTable.key(o), TensorTable.tagged(1000 + i, i % 8)));
    }
    assertEquals(100 * 1000 + 99 * 100 / 2, t.sizeBytes(), "the tags are not bytes");
    for (int i = 99; i >= 0; i--) {
      assertEquals(1000 + i, t.remove(TensorTable.key(objects.get(i)), objects.get(i)));
      assertEquals(i % 8, t.removedTag());
    }
    assertEquals(0, t.sizeBytes());
  }

  @Test
  void levelCountsEveryLiveTensorAndParametersAreNotStepCreated() {
    Object parameter = new Object();
    TensorLife.created(parameter, 4000); // before any step: a parameter
    open(false);
    Object kept = new Object();
    Object temp = new Object();
    TensorLife.created(kept, 100);
    TensorLife.created(temp, 30);
    TensorLife.closed(temp, 30);
    close();
    assertEquals(4100, memory.get(MemorySlots.ARRAYS_LIVE_BYTES));
    assertEquals(2, memory.get(MemorySlots.ARRAYS_LIVE));
    assertEquals(130, memory.get(MemorySlots.ARRAYS_CREATED_BYTES));
    assertEquals(100, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES));
    assertEquals(1, memory.get(MemorySlots.STEP_ARRAYS_ALIVE));
    assertTrue(sites.isEmpty(), "a counted step takes no site");

    open(false);
    TensorLife.closed(kept, 100);
    close();
    assertEquals(4000, memory.get(MemorySlots.ARRAYS_LIVE_BYTES));
    assertEquals(0, memory.get(MemorySlots.ARRAYS_CREATED_BYTES));
    assertEquals(0, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES), "kept was created in the step before");
  }

  @Test
  void aTensorClosedInItsStepOrTheNextIsClosedWithItsCreationBytesAndNoOtherIs() {
    Object parameter = new Object();
    TensorLife.created(parameter, 4000);
    TensorLife.labelHoldersWith(h -> ((Holder) h).name);
    open(false);
    assertFalse(TensorLife.closedWithKnownSize(parameter), "created before any step: the hook must read its size");
    Object temp = new Object();
    Object batch = new Object();
    Object kept = new Object();
    TensorLife.created(temp, 30, holder("model"));
    TensorLife.created(batch, 70, holder("model"));
    TensorLife.created(kept, 500);
    assertEquals(4600, TensorLife.liveBytes());
    assertTrue(TensorLife.closedWithKnownSize(temp));
    assertFalse(TensorLife.closedWithKnownSize(temp), "a second close frees nothing");
    assertEquals(4570, TensorLife.liveBytes());
    assertEquals(3, TensorLife.live());
    close();
    assertEquals(4570, memory.get(MemorySlots.ARRAYS_LIVE_BYTES));
    assertEquals(600, memory.get(MemorySlots.ARRAYS_CREATED_BYTES));
    assertEquals(570, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES), "temp left the step's survivors");
    assertEquals(2, memory.get(MemorySlots.STEP_ARRAYS_ALIVE));
    assertArrayEquals(new long[] {70, 1}, holders.get("model"), "temp left its holder's survivors too");

    open(false);
    assertTrue(TensorLife.closedWithKnownSize(batch), "created in the step before: its size is still known");
    assertEquals(4500, TensorLife.liveBytes());
    close();
    assertEquals(4500, memory.get(MemorySlots.ARRAYS_LIVE_BYTES));
    assertEquals(0, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES), "the step before's tensors are not this step's");

    open(false);
    assertFalse(TensorLife.closedWithKnownSize(kept), "two steps ago: forgotten, the hook reads its size");
    TensorLife.closed(kept, 500);
    close();
    assertEquals(4000, memory.get(MemorySlots.ARRAYS_LIVE_BYTES));
    assertFalse(TensorLife.closedWithKnownSize(parameter), "no step open");
    assertEquals(4000, TensorLife.liveBytes());
  }

  @Test
  @SuppressWarnings("deprecation") // Thread.getId(), as the registry uses on JDK 17
  void theLevelSumsEveryThreadsShareAndAnEndedThreadsShareStaysInIt() throws Exception {
    Object made = new Object();
    Object kept = new Object();
    Thread loader = new Thread(() -> {
      TensorLife.created(made, 300);
      TensorLife.created(kept, 200);
    }, "loader");
    loader.start();
    loader.join();
    assertEquals(500, TensorLife.liveBytes());
    TensorLife.closed(made, 300); // here: this thread's share goes below zero, the sum stays right
    assertEquals(200, TensorLife.liveBytes());
    assertEquals(1, TensorLife.live());
    ThreadRecorder ended = ThreadRegistry.threads().stream().filter(t -> t.threadId() == loader.getId())
        .findFirst().orElseThrow();
    ThreadRegistry.forget(ended);
    assertFalse(ThreadRegistry.threads().contains(ended));
    assertEquals(200, TensorLife.liveBytes(), "the ended thread's share stays in the level");
    assertEquals(1, TensorLife.live());
    TensorLife.closed(kept, 200);
    assertEquals(0, TensorLife.liveBytes());
    assertEquals(0, TensorLife.live());
    Recorder.setEnabled(false); // recording off: the hooks still count, process-wide
    TensorLife.created(made, 64);
    assertEquals(64, TensorLife.liveBytes());
    Recorder.setEnabled(true);
    TensorLife.closed(made, 64);
    assertEquals(0, TensorLife.liveBytes());
  }

  @Test
  void aSurvivorWhoseSiteWasTakenLeavesTheOutlivingTensorsWhenClosedWithItsKnownSize() {
    open(true); // a detailed step takes the sites of its survivors (captureSitesInSampledSteps)
    Object leaked = new Object();
    TensorLife.created(leaked, 8192);
    close();
    assertEquals(1, TensorLife.outliving(), "followed from its step's end");
    open(false);
    assertTrue(TensorLife.closedWithKnownSize(leaked));
    assertEquals(0, TensorLife.outliving(), "closed: no longer a leak suspect");
    assertEquals(0, TensorLife.liveBytes());
    close();
  }

  /** A stand-in for a framework's holder (a DJL {@code NDManager}): told apart by identity, labelled by name. */
  private static final class Holder {
    final String name;

    Holder(String name) {
      this.name = name;
    }
  }

  private final Map<String, Holder> holderObjects = new LinkedHashMap<>();

  private Object holder(String name) {
    return holderObjects.computeIfAbsent(name, Holder::new);
  }

  @Test
  void everyStepsSurvivorsAreSummedPerHolderLabelledByTheCollectorWithTheOthersTogether() {
    TensorLife.created(new Object(), 500, holder("model")); // outside a step: the level only
    open(true);
    TensorLife.created(new Object(), 100, holder("batch")); // no labels installed: holders are not followed
    close();
    assertTrue(holders.isEmpty(), holders::toString);

    AtomicInteger labelled = new AtomicInteger();
    TensorLife.labelHoldersWith(h -> {
      labelled.incrementAndGet();
      String name = ((Holder) h).name;
      return name.equals("throws") ? failing() : "label of " + name;
    });
    for (boolean detailed : new boolean[] {false, true}) {
      open(detailed);
      Object temp = new Object();
      TensorLife.created(temp, 30, holder("batch"));
      TensorLife.created(new Object(), 100, holder("batch"));
      TensorLife.created(new Object(), 7, holder("batch"));
      TensorLife.closed(temp, 30);
      TensorLife.created(new Object(), 1000, holder("cache"));
      TensorLife.created(new Object(), 3, null); // no holder: in the step's figures only
      Object scratch = new Object();
      TensorLife.created(scratch, 50, holder("scratch"));
      TensorLife.closed(scratch, 50);
      TensorLife.created(new Object(), 9, holder("throws"));
      for (int i = 0; i < StepTensors.MAX_HOLDERS; i++) {
        TensorLife.created(new Object(), 1, holder("extra " + i)); // past the first holders: together
      }
      labelled.set(0);
      tr.closeStep(System.nanoTime(), ++stepNumber);
      assertEquals(0, labelled.get(), "the step's close labels no holder: the collector does, as it drains");
      drainClosed();
      String kind = detailed ? "detailed" : "counted";
      // batch, cache, throws and the first 3 extra ones; scratch holds no survivor: neither written nor labelled
      assertEquals(6, labelled.get(), kind + ": each holder with survivors labelled once");
      assertArrayEquals(new long[] {107, 2}, holders.get("label of batch"), kind);
      assertArrayEquals(new long[] {1000, 1}, holders.get("label of cache"), kind);
      assertFalse(holders.containsKey("label of scratch"), "every tensor it held was closed: " + holders.keySet());
      assertArrayEquals(new long[] {9, 1}, holders.get(StepTensors.UNLABELLED), kind + ": a label that throws");
      // 7 holders are told apart per step: batch, cache, scratch, throws and the first 3 extra ones; 5 together.
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(new long[] {1, 1}, holders.get("label of extra " + i), holders.keySet()::toString);
      }
      assertFalse(holders.containsKey("label of extra 3"), holders.keySet()::toString);
      assertArrayEquals(new long[] {5, 5}, holders.get(StepTensors.OTHER_HOLDERS));
      assertEquals(memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES) - 3,
          holders.values().stream().mapToLong(v -> v[0]).sum(), "all survivors but the one without a holder");
    }

    open(false);
    TensorLife.created(new Object(), 5, holder("batch"));
    close();
    assertEquals(List.of("label of batch"), List.copyOf(holders.keySet()),
        "holders are forgotten when their step closes");
    assertArrayEquals(new long[] {5, 1}, holders.get("label of batch"));
  }

  private static String failing() {
    throw new IllegalStateException("a holder whose name cannot be read");
  }

  /** Creates a tensor on one known line; returns that line's site. */
  private static String createHere(Object tensor, long bytes) {
    TensorLife.created(tensor, bytes); int line = new Throwable().getStackTrace()[0].getLineNumber();
    return TensorLifeTest.class.getName() + ".createHere(TensorLifeTest.java:" + line + ")";
  }

  @Test
  void sampledStepsTakeNoSiteUntilATensorSeriesIsSuspected() {
    TensorLife.captureSitesInSampledSteps(false);
    List<Object> kept = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      open(true);
      Object t = new Object();
      kept.add(t);
      TensorLife.created(t, 4000);
      close();
      assertTrue(sites.isEmpty(), "no stack walk, no snapshot");
      assertEquals(4000L * (s + 1), memory.get(MemorySlots.ARRAYS_LIVE_BYTES), "the level is kept regardless");
    }
    assertEquals(0, TensorLife.outliving(), "nothing followed without sites");
  }

  @Test
  void detailedStepsNameTheSiteOfTensorsThatOutliveTheirStepUntilTheyAreClosed() {
    List<Object> leaked = new ArrayList<>();
    String site = null;
    for (int s = 0; s < 3; s++) {
      open(true);
      Object t = new Object();
      leaked.add(t);
      site = createHere(t, 4000);
      Object temp = new Object();
      TensorLife.created(temp, 5000);
      TensorLife.closed(temp, 5000);
      TensorLife.created(new Object(), StepTensors.MIN_SITE_BYTES - 1); // kept, but too small to follow
      close();
      if (s == 0) {
        assertTrue(sites.isEmpty(), "the step's own survivors are not in its snapshot");
      } else {
        assertEquals(List.of(site), List.copyOf(sites.keySet()));
        assertEquals(4000L * s, sites.get(site)[0]);
        assertEquals(s, sites.get(site)[1]);
      }
    }
    assertEquals(3, TensorLife.outliving(), "the small ones are not followed");
    // Closed late, but closed: out of the next snapshot.
    for (Object t : leaked) {
      TensorLife.closed(t, 4000);
    }
    assertEquals(0, TensorLife.outliving());
    open(true);
    close();
    assertTrue(sites.isEmpty(), sites.keySet()::toString);
  }

  @Test
  void aCollectableTensorIsNeverKeptAliveAndLeavesLevelAndSnapshotWhenCollected() throws Exception {
    open(true);
    Object buffer = new byte[16];
    TensorLife.createdCollectable(buffer, 4096);
    WeakReference<Object> watch = new WeakReference<>(buffer);
    close();
    assertEquals(4096, TensorLife.liveBytes());
    assertEquals(1, TensorLife.outliving());
    buffer = null;
    for (int i = 0; i < 50 && watch.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(null, watch.get(), "the tracker holds no strong reference");
    open(true);
    close();
    assertEquals(0, memory.get(MemorySlots.ARRAYS_LIVE_BYTES), "collected: freed");
    assertTrue(sites.isEmpty());
    assertEquals(0, TensorLife.outliving());
  }

  @Test
  void aCollectableTensorClosedExplicitlyIsCountedOnceAndUnknownClosesAreIgnored() {
    Object buffer = new Object();
    TensorLife.createdCollectable(buffer, 64);
    TensorLife.closedCollectable(new Object()); // a buffer never counted (a view, a workspace's)
    assertEquals(64, TensorLife.liveBytes());
    TensorLife.closedCollectable(buffer);
    TensorLife.closedCollectable(buffer);
    assertEquals(0, TensorLife.liveBytes());
    assertEquals(0, TensorLife.live());
  }

  @Test
  void aStepOnlyTensorCountsInItsStepsFlowsAndSitesButNeverInTheLevel() {
    assertFalse(TensorLife.inStep());
    TensorLife.createdInStep(new Object(), 4096); // outside a step: nothing at all
    open(false);
    assertTrue(TensorLife.inStep());
    Object closedInIt = new Object();
    Object kept = new Object();
    TensorLife.createdInStep(closedInIt, 1000);
    TensorLife.createdInStep(kept, 2048);
    TensorLife.createdInStep(new Object(), 30);
    TensorLife.closedInStep(closedInIt);
    TensorLife.closedInStep(new Object()); // never counted (a view, a workspace's buffer): changes nothing
    close();
    assertEquals(3078, memory.get(MemorySlots.ARRAYS_CREATED_BYTES));
    assertEquals(2078, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES), "created in the step and alive at its end");
    assertEquals(2, memory.get(MemorySlots.STEP_ARRAYS_ALIVE));
    // (the level's gauge may be installed by another test's tensors in this JVM: it reads 0)
    assertEquals(0L, memory.getOrDefault(MemorySlots.ARRAYS_LIVE_BYTES, 0L), "no level: its ends are not followed");
    assertEquals(0, TensorLife.liveBytes());

    open(true); // sites are taken (the leak finder suspects a tensor series): a survivor is followed
    Object leaked = new Object();
    TensorLife.createdInStep(leaked, 8192);
    close();
    assertEquals(1, TensorLife.outliving());
    open(false);
    TensorLife.closedInStep(leaked); // closed in a later step: no longer outliving
    close();
    assertEquals(0, TensorLife.outliving());
    assertEquals(0, memory.get(MemorySlots.STEP_ARRAYS_ALIVE_BYTES));
    assertFalse(TensorLife.inStep());
  }

  @Test
  void outlivingTensorsAreBoundedAndTheOverflowCounted() {
    List<Object> kept = new ArrayList<>();
    int perStep = StepTensors.MAX_SITES_PER_STEP;
    int steps = TensorLife.OUTLIVING_MAX_SLOTS / 2 / perStep + 1;
    for (int s = 0; s < steps; s++) {
      open(true);
      for (int i = 0; i < perStep; i++) {
        Object t = new Object();
        kept.add(t);
        TensorLife.created(t, StepTensors.MIN_SITE_BYTES);
      }
      close();
    }
    assertEquals(TensorLife.OUTLIVING_MAX_SLOTS / 2, TensorLife.outliving());
    assertTrue(TensorLife.overflowed() >= perStep, "overflow counted: " + TensorLife.overflowed());
    assertEquals(kept.size(), TensorLife.live(), "the level still counts every tensor");
  }

  @Test
  void anOnDemandWindowCapturesSitesInCountedSteps() {
    TensorLife.captureSitesUntil(System.nanoTime() + 60_000_000_000L);
    try {
      open(false);
      Object t = new Object();
      String site = createHere(t, 2048);
      close();
      open(false);
      close();
      assertEquals(List.of(site), List.copyOf(sites.keySet()));
    } finally {
      TensorLife.captureSitesUntil(Long.MIN_VALUE);
    }
  }

  /**
   * Four threads run detailed and counted steps, creating tensors (plain and collectable) and closing half of them
   * on another thread, while the others snapshot: the levels end exact, and nothing stays followed once closed and
   * collected.
   */
  @Test
  void concurrentCreatesClosesAndSnapshotsLeaveExactLevels() throws Exception {
    int threads = 4;
    int steps = 200;
    java.util.concurrent.ConcurrentLinkedQueue<Object[]> handOff = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int w = 0; w < threads; w++) {
      int id = w;
      Thread t = new Thread(() -> {
        try {
          ThreadRecorder own = ThreadRegistry.local();
          start.await();
          for (int s = 0; s < steps; s++) {
            own.openStep(System.nanoTime(), s % 10 == id);
            for (int i = 0; i < 20; i++) {
              Object tensor = new Object();
              boolean collectable = i % 4 == 0;
              if (collectable) {
                TensorLife.createdCollectable(tensor, 2048);
              } else {
                TensorLife.created(tensor, 2048);
              }
              Object[] other = handOff.poll();
              if (other != null) {
                close(other);
              }
              if (i % 2 == 0) {
                handOff.add(new Object[] {tensor, collectable});
              } else {
                close(new Object[] {tensor, collectable});
              }
            }
            own.closeStep(System.nanoTime(), s + 1);
            own.drain((src, r, b, n) -> { });
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      workers.add(t);
      t.start();
    }
    for (Thread t : workers) {
      t.join(60_000);
    }
    assertTrue(failures.isEmpty(), failures::toString);
    Object[] left;
    while ((left = handOff.poll()) != null) {
      close(left);
    }
    assertEquals(0, TensorLife.live());
    assertEquals(0, TensorLife.liveBytes());
    // A close on another thread while the creator's step was open is not seen by the creator's table: such a
    // tensor is followed until the collector clears its weak reference, and the next snapshot forgets it.
    for (int i = 0; i < 50 && TensorLife.outliving() > 0; i++) {
      System.gc();
      open(true);
      close();
    }
    assertEquals(0, TensorLife.outliving(), "every followed tensor was closed or collected");
  }

  private static void close(Object[] handed) {
    if ((Boolean) handed[1]) {
      TensorLife.closedCollectable(handed[0]);
    } else {
      TensorLife.closed(handed[0], 2048);
    }
  }

  @Test
  void elementsAreCountedByTheInstalledWayFromALongHandleOnlyElseUnknown() {
    Object tensor = new Object();
    assertEquals(-1, TensorLife.elements(tensor, 7L), "nothing installed: the hook reads the framework's shape");
    TensorLife.countElementsWith((t, handle) -> t == tensor ? handle * 10 : -1);
    assertEquals(70, TensorLife.elements(tensor, 7L));
    assertEquals(-1, TensorLife.elements(tensor, "7"), "a handle that is no Long is not passed on");
    assertEquals(-1, TensorLife.elements(tensor, null));
    assertEquals(-1, TensorLife.elements(new Object(), 7L), "what the installed way does not know");
  }
}
