package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two shortcuts of the hot path: the cached recorder of the last loop thread (a thread must never get another
 * thread's recorder, however the threads interleave) and layers that open nothing in a step that is not sampled.
 */
class HotPathLookupTest {
  private final List<Step> steps = new ArrayList<>();
  private Collector collector;

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withOpTimingEvery(1));
    collector = Collector.create(List.of(steps::add), 10, 0, 100_000);
  }

  @AfterEach
  void tearDown() {
    collector.close();
    Sampling.update(sp -> sp.withSampleEvery(1));
    Sampling.update(sp -> sp.withOpTimingEvery(16));
    Recorder.setEnabled(false);
  }

  /** One training iteration: a fetch opens the step, a layer holds a GEMM, the optimizer closes the step. */
  private static void iteration(String layer) {
    Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
    ThreadRecorder forward = Recorder.enterStepPart();
    ThreadRecorder l = Recorder.enterLayer();
    ThreadRecorder op = Recorder.enterOp();
    Recorder.exitOp(op, Kind.OP_GEMM, "matmul", 100, 0, null, null, null);
    Recorder.exitLayer(l, layer, null, null);
    Recorder.exitSpan(forward, Kind.PHASE, "forward");
    Recorder.exitStepEnd(Recorder.enterStepPart(), "optimize");
  }

  @Test
  void twoTrainingThreadsTakingTurnsEachRecordIntoTheirOwnRecorder() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(1));
    int turns = 50;
    Semaphore[] turn = {new Semaphore(1), new Semaphore(0)};
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] threads = new Thread[2];
    for (int t = 0; t < 2; t++) {
      int me = t;
      threads[t] = new Thread(() -> {
        try {
          Recorder.loopStart();
          for (int i = 0; i < turns; i++) {
            turn[me].acquire();
            // Each turn the other thread looked its recorder up last, so the cached one is never this thread's.
            iteration("layer-of-" + Thread.currentThread().getName());
            turn[1 - me].release();
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "trainer-" + t);
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertNull(failure.get());
    collector.drainOnce();
    for (int t = 0; t < 2; t++) {
      String name = "trainer-" + t;
      long ownSteps = steps.stream().filter(s -> s.threadName().equals(name)).count();
      assertEquals(turns, ownSteps, name + "'s steps");
      for (Step s : steps) {
        if (s.threadName().equals(name)) {
          assertEquals(threads[t].getId(), s.threadId());
          assertTrue(s.spans().stream().filter(x -> x.kind() == Kind.LAYER)
              .allMatch(x -> x.name().equals("layer-of-" + name)), () -> name + ": " + s.spans());
          assertEquals(1, s.opCount(), () -> name + " step " + s.number());
        }
      }
    }
  }

  @Test
  void skippingLayersInUnsampledStepsKeepsCountersAndTheNestingOfSampledSteps() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(2));
    Thread t = new Thread(() -> {
      Recorder.loopStart();
      for (int i = 0; i < 6; i++) {
        iteration("dense");
      }
    });
    t.start();
    t.join();
    collector.drainOnce();
    assertEquals(6, steps.size());
    for (Step s : steps) {
      List<Span> layers = s.spans().stream().filter(x -> x.kind() == Kind.LAYER).toList();
      assertEquals(s.detailed() ? 1 : 0, layers.size(), () -> "step " + s.number() + ": " + s.spans());
      if (s.detailed()) {
        Span gemm = s.spans().stream().filter(x -> x.kind() == Kind.OP_GEMM).findFirst().orElseThrow();
        assertEquals(layers.get(0).spanId(), gemm.parentId(), "the op is still inside its layer");
      }
      assertEquals(1, s.opCount(), () -> "step " + s.number());
      assertEquals(100, s.flops(), () -> "step " + s.number());
      assertTrue(s.breakdown().ns(Category.GEMM) > 0, () -> "step " + s.number() + " " + s.breakdown());
    }
    assertEquals(3, steps.stream().filter(Step::detailed).count());
  }
}
