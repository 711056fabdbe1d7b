package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The finished step the collector hands to exporters: its span tree, its visitor order, its JVM facts. */
class StepModelTest {

  /** A step recorded through the real recorder and collector: data, trainBatch > dense > linear, optimizer. */
  private static List<Step> recordSteps(int count) throws InterruptedException {
    List<Step> steps = new ArrayList<>();
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Collector c = Collector.create(List.of(steps::add), 10, 0, 10_000);
    try {
      Thread t = new Thread(() -> {
        for (int i = 0; i < count; i++) {
          ThreadRecorder data = Recorder.enterStepPart();
          Recorder.exitSpan(data, Kind.DATA, "data");
          ThreadRecorder phase = Recorder.enterStepPart();
          ThreadRecorder layer = Recorder.enterSpan();
          ThreadRecorder gemm = Recorder.enterOp();
          Recorder.exitGemm(gemm, "linear", GemmShapes.LINEAR, new long[] {64, 784}, new long[] {128, 784});
          Recorder.exitSpan(layer, Kind.LAYER, "dense");
          Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
          ThreadRecorder opt = Recorder.enterStepPart();
          Recorder.exitStepEnd(opt, "optimizer");
        }
      }, "model-trainer");
      t.start();
      t.join();
      c.close();
    } finally {
      Recorder.setEnabled(false);
    }
    return steps;
  }

  @Test
  void theSpanTreeHoldsParentsChildrenAndDepthsOfTheRecordedNesting() throws Exception {
    Step step = recordSteps(1).get(0);
    SpanTree tree = step.tree();
    assertEquals(step.spans().size(), tree.size());
    Span data = named(step, "data");
    Span trainBatch = named(step, "trainBatch");
    Span dense = named(step, "dense");
    Span linear = named(step, "linear");
    assertEquals(List.of(data, trainBatch, named(step, "optimizer")), tree.roots());
    assertNull(tree.parent(trainBatch), "a phase hangs directly under the step");
    assertSame(trainBatch, tree.parent(dense));
    assertSame(dense, tree.parent(linear));
    assertEquals(List.of(dense), tree.children(trainBatch));
    assertEquals(3, tree.depth(linear));
    assertSame(linear, tree.byId(linear.spanId()));
    assertEquals(ActivityKind.OP_GEMM, linear.activityKind());
    assertEquals(ActivityKind.LAYER, dense.activityKind());
    List<Span> order = tree.inStartOrder();
    for (Span s : order) {
      Span parent = tree.parent(s);
      assertTrue(parent == null || order.indexOf(parent) < order.indexOf(s), "parent before child: " + s);
    }
  }

  @Test
  void aSpanWhoseParentIsNotInTheStepHangsUnderTheStep() {
    Span orphan = new Span(Kind.OP_OTHER, "relu", 1, 10, 20, 7, 99, 0, 0, new long[0][]);
    Span child = new Span(Kind.OP_OTHER, "inner", 1, 12, 18, 8, 7, 0, 0, new long[0][]);
    SpanTree tree = SpanTree.of(List.of(child, orphan));
    assertEquals(List.of(orphan), tree.roots());
    assertEquals(List.of(orphan, child), tree.inStartOrder());
    assertEquals(2, tree.depth(child));
  }

  @Test
  void aVisitorSeesTheStepThenEverySpanWithItsParentThenTheEnd() throws Exception {
    Step step = recordSteps(1).get(0);
    List<String> seen = new ArrayList<>();
    step.accept(new StepVisitor() {
      @Override
      public void step(Step s) {
        seen.add("step " + s.number());
      }

      @Override
      public void span(Span span, Span parent, int depth) {
        seen.add(span.name() + "<" + (parent == null ? "step" : parent.name()) + "@" + depth);
      }

      @Override
      public void end(Step s) {
        seen.add("end");
      }
    });
    assertEquals(List.of("step " + step.number(), "data<step@1", "trainBatch<step@1", "dense<trainBatch@2",
        "linear<dense@3", "optimizer<step@1", "end"), seen);
  }

  @Test
  void theCollectorSamplesTheHeapWhenItReadsTheStepRecord() throws Exception {
    List<Step> steps = recordSteps(3);
    assertEquals(3, steps.size());
    for (Step s : steps) {
      JvmFacts jvm = s.jvm();
      assertTrue(jvm.sampledAtNs() >= s.endNs(), "sampled after the step ended");
      assertTrue(jvm.heapUsedBytes() > 0 && jvm.heapUsedBytes() <= jvm.heapCommittedBytes(),
          jvm.heapUsedBytes() + " of " + jvm.heapCommittedBytes());
      assertNull(s.gpu(), "no GPU records, no GPU facts");
    }
  }

  @Test
  void everyRecordKindHasItsOwnName() {
    Set<String> keys = new HashSet<>();
    for (int k = Kind.STEP; k <= Kind.STEP_OPS; k++) {
      ActivityKind kind = ActivityKind.of(k);
      assertTrue(kind != ActivityKind.UNKNOWN, "record kind " + k);
      assertTrue(keys.add(kind.key()), kind.key());
      assertEquals(Kind.isOp(k), kind.isOp(), kind.key());
    }
    Set<String> all = new HashSet<>();
    for (ActivityKind k : ActivityKind.values()) {
      assertTrue(all.add(k.key()), "one name, one kind: " + k.key());
    }
  }

  private static Span named(Step step, String name) {
    return step.spans().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }
}
