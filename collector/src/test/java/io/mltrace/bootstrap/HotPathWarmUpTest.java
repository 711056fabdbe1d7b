package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The step boundary's warm-up runs the real close and open on a private recorder: it runs as many boundaries as asked,
 * nothing it does reaches what a collector, a gauge or the leak finder reads, it starts once and only when the agent
 * turned it on, from a training thread's first step close, and it stops when the JVM begins to exit.
 */
class HotPathWarmUpTest {
  private ThreadRecorder tr;

  @BeforeEach
  void start() {
    HotPathWarmUp.reset();
    TensorLife.reset();
    TensorLife.labelHoldersWith(h -> "holder");
    Recorder.setEnabled(true);
    tr = ThreadRegistry.local();
  }

  @AfterEach
  void stop() {
    HotPathWarmUp.reset();
    Recorder.setEnabled(false);
    TensorLife.labelHoldersWith(null);
    TensorLife.reset();
  }

  @Test
  void runsTheBoundariesAskedWithoutTouchingWhatOthersRead() {
    Object live = new Object();
    TensorLife.created(live, 4096); // a live tensor of the job: the warm-up must leave the level as it is
    List<ThreadRecorder> before = new ArrayList<>(ThreadRegistry.threads());
    long steps = Recorder.stepsClosed();
    long pending = tr.pending();
    assertEquals(3000, HotPathWarmUp.run(3000));
    assertEquals(before, ThreadRegistry.threads(), "no recorder registered or dropped");
    assertEquals(steps, Recorder.stepsClosed(), "the job's step count is its own");
    assertEquals(4096, TensorLife.liveBytes());
    assertEquals(1, TensorLife.live());
    assertEquals(0, TensorLife.outliving(), "no creation site taken");
    assertEquals(pending, tr.pending(), "nothing written to a registered thread's ring");
  }

  @Test
  void readsTheGaugesAnyThreadMayReadAndNeverOneThatReadsTheTrainingThreadsState() {
    AtomicLong processWideReads = new AtomicLong();
    AtomicLong threadBoundReads = new AtomicLong();
    MemoryGauges.installAnyThread(MemorySlots.DETACHED_LIVE_BYTES, () -> processWideReads.incrementAndGet());
    MemoryGauges.install(MemorySlots.WORKSPACE_BYTES, () -> threadBoundReads.incrementAndGet());
    try {
      assertEquals(500, HotPathWarmUp.run(500));
      assertEquals(500, processWideReads.get(), "read at each synthetic step's close");
      assertEquals(0, threadBoundReads.get(), "a gauge that may read the calling thread's framework state");

      tr.openStep(System.nanoTime(), false); // a training thread's close reads both
      tr.closeStep(System.nanoTime(), 1);
      assertEquals(501, processWideReads.get());
      assertEquals(1, threadBoundReads.get());
    } finally {
      MemoryGauges.clear();
    }
  }

  @Test
  void startsOnceFromATrainingThreadsFirstStepCloseOnlyWhenTurnedOn() throws Exception {
    tr.openStep(System.nanoTime(), false);
    tr.closeStep(System.nanoTime(), 1);
    assertNull(HotPathWarmUp.thread(), "off unless the agent turns it on");

    HotPathWarmUp.enable(true);
    tr.openStep(System.nanoTime(), false);
    tr.closeStep(System.nanoTime(), 2);
    Thread warmUp = HotPathWarmUp.thread();
    assertNotNull(warmUp);
    assertTrue(warmUp.isDaemon(), "never keeps a JVM alive");
    assertEquals("mltrace-warmup", warmUp.getName());
    tr.openStep(System.nanoTime(), false);
    tr.closeStep(System.nanoTime(), 3);
    assertSame(warmUp, HotPathWarmUp.thread(), "started once");
    warmUp.join(TimeUnit.SECONDS.toMillis(60));
    assertFalse(warmUp.isAlive(), "it ends by itself");
  }

  @Test
  void stopsAfterItsCurrentBoundaryWhenTheJvmBeginsToExit() throws Exception {
    HotPathWarmUp.stop();
    assertEquals(0, HotPathWarmUp.run(1_000_000), "stopped: no boundary runs");
    HotPathWarmUp.enable(true);
    tr.openStep(System.nanoTime(), false);
    tr.closeStep(System.nanoTime(), 1);
    assertNull(HotPathWarmUp.thread(), "never starts once the JVM is exiting");
  }
}
