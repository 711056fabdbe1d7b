package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Head sampling by count follows the framework's iteration once steps carry one: two workers whose step numbers
 * differ (one attached later) detail the same iterations. Steps run through the real recorder on this thread, the
 * iteration read by an installed {@link StepIteration.Reader} as DL4J's is.
 */
class IterationSamplingTest {
  /** The "solver" the advice hands over: it knows the iteration its next optimize runs. */
  static final class Solver {
    long iteration;
  }

  @AfterEach
  void reset() {
    Sampling.install(SamplingPolicy.DEFAULT);
    Sampling.resetIterations();
    StepIteration.install(null);
    Recorder.setEnabled(false);
  }

  /** Runs {@code steps} steps from {@code firstIteration} on; returns the iterations of the detailed ones. */
  private static List<Long> detailedIterations(int steps, long firstIteration) {
    return detailedIterations(steps, firstIteration, false);
  }

  /**
   * As {@link #detailedIterations(int, long)}; with {@code adviceReads} the advice hands the count over itself, as
   * DL4J's optimize advice does, and the installed reader's count must not be asked (it throws).
   */
  private static List<Long> detailedIterations(int steps, long firstIteration, boolean adviceReads) {
    Sampling.resetIterations();
    Sampling.update(sp -> sp.withHeadSampling(5, 0));
    StepIteration.install(adviceReads ? solver -> {
      throw new IllegalStateException("the reader was asked for a count the advice gave");
    } : solver -> ((Solver) solver).iteration);
    Recorder.setEnabled(true);
    Recorder.loopStart(); // a step left open by an earlier run on this thread is forgotten
    Solver solver = new Solver();
    List<Long> detailed = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      solver.iteration = firstIteration + i;
      ThreadRecorder tr = Recorder.enterStepEnd();
      if (adviceReads) {
        StepIteration.note(tr, solver, solver.iteration);
      } else {
        StepIteration.note(tr, solver);
      }
      if (tr.recordsSpans()) {
        detailed.add(solver.iteration);
      }
      Recorder.exitStepEnd(tr, "optimize");
    }
    Recorder.loopStart();
    return detailed;
  }

  @Test
  void workersWhoseStepNumbersDifferDetailTheSameIterations() {
    List<Long> fromTheStart = detailedIterations(30, 0);
    // A worker attached later: its iterations run one ahead of its step numbers plus one, so that the step numbers'
    // rule (every 5th step) would detail iterations 1, 6, 11... and never the ones the first worker detailed.
    long first = Recorder.stepsClosed() + 2;
    List<Long> attachedLater = detailedIterations(30, first);
    // Every 5th iteration (iteration + 1 a multiple of 5) once the first step told the iteration; that first step
    // was decided by its step number alone.
    assertEquals(List.of(4L, 9L, 14L, 19L, 24L, 29L), fromTheStart.subList(fromTheStart.size() - 6,
        fromTheStart.size()), "from the start: " + fromTheStart);
    List<Long> afterTheFirst = attachedLater.subList(attachedLater.get(0) == first ? 1 : 0, attachedLater.size());
    long expected = java.util.stream.LongStream.rangeClosed(first + 1, first + 29).filter(it -> it % 5 == 4).count();
    assertEquals(expected, afterTheFirst.size(), "attached later: " + attachedLater);
    for (long it : afterTheFirst) {
      assertEquals(4, it % 5, "attached later, iterations " + first + "-" + (first + 29) + ": " + attachedLater);
    }
  }

  @Test
  void aCountTheAdviceReadIsTakenWithoutAskingTheReader() {
    // Iterations two ahead of the step numbers: by step numbers the detailed iterations would end in 2 and 7.
    long first = Recorder.stepsClosed() + 3;
    List<Long> detailed = detailedIterations(30, first, true);
    List<Long> afterTheFirst = detailed.subList(detailed.get(0) == first ? 1 : 0, detailed.size());
    // Six such iterations; a step that another test's thread closes meanwhile moves one decision (seen once in the
    // suite: the step numbers are the process's), which the next step's count puts right.
    assertTrue(afterTheFirst.size() >= 5, "detailed: " + detailed);
    for (long it : afterTheFirst) {
      assertEquals(4, it % 5, "iterations " + first + "-" + (first + 29) + ", detailed: " + detailed);
    }
  }

  @Test
  void aCountThatStaysPutLeavesTheStepNumbersInCharge() {
    Sampling.resetIterations();
    Sampling.alignToIteration(1, 0);
    for (long step = 2; step <= 20; step++) {
      Sampling.alignToIteration(step, 0); // gradient sharing: the replicas' count stays 0
    }
    Sampling.update(sp -> sp.withHeadSampling(5, 0));
    List<Long> detailed = new ArrayList<>();
    for (long step = 21; step <= 40; step++) {
      if (Sampling.isSampled(step)) {
        detailed.add(step);
      }
    }
    assertEquals(List.of(25L, 30L, 35L, 40L), detailed);
  }
}
