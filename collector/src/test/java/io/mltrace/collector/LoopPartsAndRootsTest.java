package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.DataTypes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.Slots;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The recorder paths the DL4J advice uses: loop parts, inference roots, owned spans, step attributes, dtype. */
class LoopPartsAndRootsTest {
  private final List<Step> steps = new ArrayList<>();
  private final List<Span> outside = new ArrayList<>();
  private Collector collector;

  @BeforeEach
  void setUp() {
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    collector = Collector.create(List.of(new StepSink() {
      @Override
      public void onStep(Step step) {
        steps.add(step);
      }

      @Override
      public void onSpanOutsideStep(Span span) {
        outside.add(span);
      }
    }), 10, 0, 10_000);
  }

  @AfterEach
  void tearDown() {
    collector.close();
    Recorder.setEnabled(false);
  }

  /** Runs on a fresh thread, so that no step is left open by another test. */
  private static void onNewThread(Runnable body) throws InterruptedException {
    Thread t = new Thread(body);
    t.start();
    t.join();
  }

  private static void iteration() {
    Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
    ThreadRecorder opt = Recorder.enterStepPart();
    ThreadRecorder op = Recorder.enterOp();
    Recorder.exitOp(op, Kind.OP_GEMM, "matmul", 100, 0, new long[] {2, 5}, new long[] {5, 10}, new long[] {2, 10},
        DataTypes.FLOAT32);
    Recorder.setStepMemory(opt, MemorySlots.PHYSICAL_BYTES, 12345);
    Recorder.exitStepEnd(opt, "optimize");
  }

  @Test
  void aPrefetchThreadsFetchesOpenNoStep() throws Exception {
    onNewThread(() -> Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl"));
    collector.drainOnce();
    assertEquals(0, steps.size());
    assertEquals(1, outside.size());
    assertEquals("etl", outside.get(0).name());
    assertEquals(0, outside.get(0).parentId());
  }

  @Test
  void onATrainingThreadTheFetchOpensTheStepAndTheLoopEndDropsTheTrailingStep() throws Exception {
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      iteration();
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl.hasNext");
      Recorder.loopEnd();
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
      Recorder.exitStepEnd(Recorder.enterStepPart(), "optimize");
    });
    collector.drainOnce();
    assertEquals(3, steps.size(), "two iterations, then one opened by the fetch after the loop ended");
    Step first = steps.get(0);
    assertEquals(List.of("etl", "matmul", "optimize"), first.spans().stream().map(Span::name).toList());
    assertEquals(first.startNs(), first.spans().get(0).startNs(), "the fetch opened the step");
    Span gemm = first.spans().get(1);
    assertEquals(DataTypes.FLOAT32, gemm.dtype());
    assertEquals(3, gemm.inputShapes().length);
    assertEquals(12345, first.memory().value(MemorySeries.PHYSICAL_BYTES));
    assertTrue(!first.memory().has(MemorySeries.WORKSPACE_ALLOC_BYTES), "a series nothing measured is absent");
    assertTrue(steps.get(2).spans().stream().noneMatch(s -> s.name().equals("etl.hasNext")),
        "the trailing hasNext was in the step the loop end dropped");
  }

  @Test
  void anInferenceRootIsOutsideStepsAndOpensNone() throws Exception {
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      ThreadRecorder root = Recorder.enterRoot();
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
      Recorder.exitSpan(Recorder.enterStepPart(), Kind.PHASE, "forward");
      Recorder.exitRoot(root, Kind.INFERENCE, "output");
    });
    collector.close();
    assertEquals(1, steps.size());
    List<String> names = outside.stream().map(Span::name).toList();
    assertTrue(names.containsAll(List.of("etl", "forward", "output")), names::toString);
    Span output = outside.stream().filter(s -> s.name().equals("output")).findFirst().orElseThrow();
    assertEquals(0, output.parentId(), "a root");
  }

  /**
   * An evaluation pass between two iterations of a hand-written loop (a root with no span open around it) is in no
   * step: the step after it starts where it ended, so the loop's loading after it is that step's input time; a loss
   * computed right after it belongs to it ({@link Recorder#afterEvaluation}) until a phase or fetch begins.
   */
  @Test
  void aRootBetweenIterationsOpensTheNextStepWhereItEnds() throws Exception {
    long[] rootEnd = new long[1];
    boolean[] evaluation = new boolean[3];
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      ThreadRecorder root = Recorder.enterRoot();
      ThreadRecorder op = Recorder.enterOp();
      Recorder.exitOp(op, Kind.OP_GEMM, "linear", 100, 0, null, null, null);
      Recorder.exitRoot(root, Kind.INFERENCE, "evaluate");
      rootEnd[0] = System.nanoTime();
      evaluation[0] = Recorder.afterEvaluation();
      iteration();
      evaluation[1] = Recorder.afterEvaluation();
      iteration();
      evaluation[2] = Recorder.afterEvaluation();
    });
    collector.close();
    assertEquals(3, steps.size(), "the iterations only: " + steps);
    Step after = steps.get(1);
    assertTrue(after.startNs() <= rootEnd[0], "opened at the root's end");
    Span evaluate = outside.stream().filter(s -> s.name().equals("evaluate")).findFirst().orElseThrow();
    assertEquals(0, evaluate.parentId(), "a root");
    assertTrue(after.startNs() >= evaluate.endNs(), "the step after it starts where it ended");
    assertTrue(steps.get(0).endNs() <= evaluate.startNs(), "the step before it ended before it");
    assertTrue(after.spans().stream().noneMatch(s -> s.name().equals("linear")), "its op is not in the step");
    assertTrue(outside.stream().anyMatch(s -> s.name().equals("linear") && s.parentId() == evaluate.spanId()));
    assertTrue(evaluation[0], "right after the root: a loss now is the evaluation's");
    assertTrue(!evaluation[1] && !evaluation[2], "a fetch began since: not any more");
  }

  /**
   * On a training thread, a root before a step that is not detailed records no ops (as a counted step's ops): only
   * its own span. A thread that never trained (an inference service) records every call whole.
   */
  @Test
  void aRootBeforeAnUndetailedStepKeepsItsTimeNotItsOps() throws Exception {
    Sampling.update(sp -> sp.withSampleEvery(1_000_000));
    boolean[] untimed = new boolean[2];
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      ThreadRecorder root = Recorder.enterRoot();
      ThreadRecorder op = Recorder.enterOp();
      untimed[0] = op == null;
      Recorder.exitOp(op, Kind.OP_GEMM, "linear", 100, 0, null, null, null);
      Recorder.exitRoot(root, Kind.INFERENCE, "evaluate");
    });
    onNewThread(() -> {
      ThreadRecorder root = Recorder.enterRoot();
      ThreadRecorder op = Recorder.enterOp();
      untimed[1] = op == null;
      Recorder.exitOp(op, Kind.OP_GEMM, "matmul", 100, 0, null, null, null);
      Recorder.exitRoot(root, Kind.INFERENCE, "predict");
    });
    collector.close();
    List<String> names = outside.stream().map(Span::name).toList();
    assertTrue(untimed[0] && names.contains("evaluate") && !names.contains("linear"), names::toString);
    assertTrue(!untimed[1] && names.containsAll(List.of("predict", "matmul")), names::toString);
  }

  /** A root entered inside a step's span (a listener that evaluates inside fit) is a span of that step. */
  @Test
  void aRootInsideAStepsSpanIsPartOfThatStep() throws Exception {
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
      ThreadRecorder fit = Recorder.enterStepEnd();
      ThreadRecorder root = Recorder.enterRoot();
      Recorder.exitRoot(root, Kind.INFERENCE, "evaluate");
      Recorder.exitStepEnd(fit, "fit");
    });
    collector.close();
    assertEquals(2, steps.size(), "the step that ran the evaluation is kept: " + steps);
    List<String> names = steps.get(1).spans().stream().map(Span::name).toList();
    assertTrue(names.containsAll(List.of("etl", "evaluate", "fit")), names::toString);
  }

  /**
   * A root once a phase of the iteration began (a checkpoint saved between backward and the optimizer, no span open)
   * is a span of that step; before, the step was forgotten whole. Spans that also run between iterations do not begin
   * it: a fetch and a phase nested in it (DJL's batchify), the training listeners at an epoch's end, a step part that
   * began before the step (DL4J's fit, inside which the step before ended).
   */
  @Test
  void aRootAfterAPhaseOfTheIterationIsPartOfItsStep() throws Exception {
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      ThreadRecorder etl = Recorder.enterLoopPart();
      Recorder.exitSpan(Recorder.enterSpan(), Kind.PHASE, "batchify");
      Recorder.exitSpan(etl, Kind.DATA, "etl");
      Recorder.exitRoot(Recorder.enterRoot(), Kind.INFERENCE, "between"); // after a fetch: between iterations
      Recorder.exitSpan(Recorder.enterSpan(), Kind.PHASE, "listeners");
      Recorder.exitRoot(Recorder.enterRoot(), Kind.INFERENCE, "after listeners");
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
      Recorder.exitSpan(Recorder.enterPhase(), Kind.PHASE, "forward");
      Recorder.exitSpan(Recorder.enterSpan(), Kind.PHASE, "backward");
      Recorder.exitRoot(Recorder.enterRoot(), Kind.INFERENCE, "save"); // after the backward pass: inside
      ThreadRecorder opt = Recorder.enterStepEnd();
      Recorder.exitStepEnd(opt, "optimize");
      // DL4J's shape: the step before ends inside fit, so fit began before the step it leaves open.
      ThreadRecorder fit = Recorder.enterStepPart();
      iteration();
      Recorder.exitSpan(fit, Kind.PHASE, "fit");
      Recorder.exitRoot(Recorder.enterRoot(), Kind.INFERENCE, "after fit");
      iteration();
    });
    collector.close();
    List<String> outsideNames = outside.stream().filter(s -> s.parentId() == 0).map(Span::name).toList();
    assertTrue(outsideNames.containsAll(List.of("between", "after listeners", "after fit")), outsideNames::toString);
    assertFalse(outsideNames.contains("save"), outsideNames::toString);
    List<String> names = spanNamesOfTheStepHolding("save");
    assertTrue(names.containsAll(List.of("etl", "forward", "backward", "save", "optimize")), names::toString);
  }

  /**
   * A root outside spans (an evaluator's update) is a root between steps and after a phase of the iteration, as any
   * root; inside an open span (the step's {@code trainBatch}, another root) it records nothing and its op is the
   * span's.
   */
  @Test
  void aRootOutsideSpansRecordsNothingInsideAnOpenSpan() throws Exception {
    onNewThread(() -> {
      Recorder.loopStart();
      iteration();
      Recorder.exitRoot(Recorder.enterRootOutsideSpans(), Kind.INFERENCE, "between");
      Recorder.exitSpan(Recorder.enterLoopPart(), Kind.DATA, "etl");
      ThreadRecorder batch = Recorder.enterPhase();
      ThreadRecorder nested = Recorder.enterRootOutsideSpans();
      assertNull(nested, "inside trainBatch: no span");
      Recorder.exitOp(Recorder.enterOp(), Kind.OP_OTHER, "argMax");
      Recorder.exitRoot(nested, Kind.INFERENCE, "in trainBatch");
      Recorder.exitSpan(batch, Kind.PHASE, "trainBatch");
      Recorder.exitRoot(Recorder.enterRootOutsideSpans(), Kind.INFERENCE, "after trainBatch");
      ThreadRecorder opt = Recorder.enterStepEnd();
      Recorder.exitStepEnd(opt, "optimize");
      ThreadRecorder evaluate = Recorder.enterRoot();
      assertNull(Recorder.enterRootOutsideSpans(), "inside another root: no span");
      Recorder.exitRoot(evaluate, Kind.INFERENCE, "evaluate");
      iteration();
    });
    collector.close();
    List<String> outsideNames = outside.stream().filter(s -> s.parentId() == 0).map(Span::name).toList();
    assertTrue(outsideNames.containsAll(List.of("between", "evaluate")), outsideNames::toString);
    assertFalse(outsideNames.contains("after trainBatch"), "after a phase of the iteration: " + outsideNames);
    assertFalse(outside.stream().anyMatch(s -> s.name().equals("in trainBatch")), outside::toString);
    List<String> names = spanNamesOfTheStepHolding("trainBatch");
    assertTrue(names.contains("after trainBatch"), names::toString);
    assertFalse(names.contains("in trainBatch"), names::toString);
  }

  /** The names of the spans of the first step that holds a span named {@code name}. */
  private List<String> spanNamesOfTheStepHolding(String name) {
    Step step = steps.stream().filter(st -> st.spans().stream().anyMatch(x -> x.name().equals(name)))
        .findFirst().orElseThrow(() -> new AssertionError("no step holds " + name + ": " + steps));
    return step.spans().stream().map(Span::name).toList();
  }

  @Test
  void aSpanOwnedByAnObjectIsNotOpenedTwiceByIt() throws Exception {
    Object layer = new Object();
    onNewThread(() -> {
      Recorder.loopStart();
      ThreadRecorder outer = Recorder.enterOwnedSpan(layer);
      ThreadRecorder inner = Recorder.enterOwnedSpan(layer);
      assertNull(inner, "same owner: no second span");
      ThreadRecorder other = Recorder.enterOwnedSpan(new Object());
      Recorder.exitSpan(other, Kind.LAYER, "wrapped", new long[] {1, 2}, null, null);
      Recorder.exitSpan(inner, Kind.LAYER, "ignored", null, null, null);
      Recorder.exitSpan(outer, Kind.LAYER, "layer", new long[] {4, 8}, new long[] {4, 2}, null);
      ThreadRecorder again = Recorder.enterOwnedSpan(layer);
      Recorder.exitSpan(again, Kind.LAYER, "layer", null, null, null);
    });
    collector.drainOnce();
    List<String> names = outside.stream().map(Span::name).toList();
    assertEquals(List.of("wrapped", "layer", "layer"), names);
    assertEquals(outside.get(1).spanId(), outside.get(0).parentId());
    assertEquals(2, outside.get(1).inputShapes().length);
  }

  /**
   * A custom span (a Spark worker's phase) carries the partition of the task running it, read by the installed
   * reader beside the hooked method's object; in a step it keeps its own, not its step's; an op keeps its FLOPs
   * slot; no object, or a reader that fails, leaves the span without one.
   */
  @Test
  void customSpansCarryTheirTasksPartition() throws Exception {
    long[] task = {3};
    io.mltrace.bootstrap.StepIteration.install(new io.mltrace.bootstrap.StepIteration.Reader() {
      @Override
      public long iteration(Object trainingObject) {
        return -1;
      }

      @Override
      public long partition(Object anyObject) {
        if (anyObject instanceof String) {
          throw new IllegalStateException("no task context here");
        }
        return task[0];
      }
    });
    try {
      onNewThread(() -> {
        Recorder.exitCustom(Recorder.enterCustom(Kind.PHASE), Kind.PHASE, "Worker.getInitialModel", this);
        Recorder.loopStart();
        iteration();
        task[0] = 4;
        // A result returned after the task's last fit: inside the step the next fit would close.
        Recorder.exitCustom(Recorder.enterCustom(Kind.PHASE), Kind.PHASE, "Worker.getFinalResult", this);
        Recorder.exitCustom(Recorder.enterCustom(Kind.PHASE), Kind.PHASE, "Static.call", null);
        Recorder.exitCustom(Recorder.enterCustom(Kind.PHASE), Kind.PHASE, "Failing.call", "x");
        ThreadRecorder op = Recorder.enterCustom(Kind.OP_GEMM);
        Recorder.exitCustom(op, Kind.OP_GEMM, "Custom.gemm", this);
        iteration();
        Recorder.loopEnd();
      });
      collector.drainOnce();
    } finally {
      io.mltrace.bootstrap.StepIteration.install(null);
    }
    assertEquals(1, outside.size(), "" + outside);
    assertEquals(3, outside.get(0).partition());
    assertEquals(0, outside.get(0).flops(), "the slot holds the partition, not FLOPs");
    Span result = null;
    for (Step s : steps) {
      for (Span span : s.spans()) {
        switch (span.name()) {
          case "Worker.getFinalResult":
            result = span;
            break;
          case "Static.call":
          case "Failing.call":
          case "Custom.gemm":
          case "matmul":
            assertEquals(-1, span.partition(), span.name());
            break;
          default:
            break;
        }
      }
    }
    assertTrue(result != null, "" + steps);
    assertEquals(4, result.partition());
  }
}
