package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.DjlTrace.Event;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Predictor.predict} and {@code batchPredict}: one root span each, with pre-processing, forward and post. */
class DjlInferenceIT {
  static final String INFERENCE = "io.mltrace.examples.djl.MlpInference";
  static final int REQUESTS = 6;
  static final int BATCH = 3;

  @TempDir
  static Path out;
  static ChildJvm run;
  static DjlTrace trace;
  static List<Event> roots;

  @BeforeAll
  static void predict() throws Exception {
    run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=summary", List.of(), INFERENCE,
        "--requests", String.valueOf(REQUESTS), "--batch", String.valueOf(BATCH));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("predictions " + (REQUESTS + REQUESTS / BATCH * BATCH)), run::toString);
    trace = new DjlTrace(out);
    roots = trace.events.stream().filter(e -> e.cat.equals("inference")).toList();
  }

  @Test
  void eachPredictionIsOneRootSpanOutsideAnyStep() {
    assertEquals(REQUESTS + REQUESTS / BATCH, roots.size(), "predict calls plus batchPredict calls");
    for (Event root : roots) {
      assertEquals("predict", root.name);
      assertEquals(0, root.parentId, "a root span");
      assertEquals(0, root.step);
    }
    assertEquals(0, trace.summary.get("totals").get("steps").asLong(), "inference opens no training step");
  }

  @Test
  void eachPredictionHoldsPreprocessingForwardAndPostprocessing() {
    for (int i = 0; i < roots.size(); i++) {
      Event root = roots.get(i);
      int inputs = i < REQUESTS ? 1 : BATCH;
      List<Event> kids = trace.children(root);
      assertEquals(inputs, kids.stream().filter(e -> e.name.equals("preprocess")).count(), kids::toString);
      assertEquals(inputs, kids.stream().filter(e -> e.name.equals("postprocess")).count(), kids::toString);
      List<Event> forward = kids.stream().filter(e -> e.name.equals("forward")).toList();
      assertEquals(1, forward.size());
      Event model = trace.children(forward.get(0)).get(0);
      assertEquals("SequentialBlock", model.name);
      assertArrayEquals(new long[][] {{inputs, 784}, {inputs, 10}}, model.shapes);
      Event firstLinear = trace.children(trace.children(model).get(0)).get(0);
      assertEquals("linear", firstLinear.name);
      assertEquals(2L * inputs * 128 * 784, firstLinear.flops);
    }
  }

  @Test
  void inputsAreCopiedInWithTheirBytes() {
    List<Event> copiesIn = trace.events.stream().filter(e -> e.name.equals("createNdFromByteBuffer")
        && "preprocess".equals(trace.bySpan.get(e.parentId).name)).toList();
    assertEquals(REQUESTS + REQUESTS / BATCH * BATCH, copiesIn.size());
    for (Event c : copiesIn) {
      assertEquals("copy", c.cat);
      assertEquals(784 * 4, c.bytes);
    }
  }
}
