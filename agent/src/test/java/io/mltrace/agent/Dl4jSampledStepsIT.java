package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DL4J MLP with production sampling: steps that are not sampled still count their GEMM FLOPs (their op advice
 * reads shapes only for GEMMs) and record no layer or op spans.
 */
class Dl4jSampledStepsIT {
  static final int STEPS = 12;
  static final int SAMPLE_EVERY = 4;

  @TempDir
  Path out;

  @Test
  void unsampledStepsCountTheSameGemmFlopsAndRecordNoLayersOrOps() throws Exception {
    Dl4jTrace t = Dl4jTrace.runWith(out, "sample_every=" + SAMPLE_EVERY, "--model", "mlp", "--steps",
        String.valueOf(STEPS));
    JsonNode steps = t.summary.get("steps");
    assertEquals(STEPS, steps.size(), t.run::toString);
    // Every step trains the same MLP on a full batch of 64: the same GEMMs, sampled or not.
    long flops = steps.get(0).get("flops").asLong();
    assertTrue(flops >= 2L * 64 * 784 * 128, "at least the first layer's forward GEMM: " + flops);
    Map<Long, Boolean> detailed = new HashMap<>();
    for (JsonNode s : steps) {
      assertEquals(flops, s.get("flops").asLong(), s::toString);
      assertTrue(s.get("ops").asLong() > 0, s::toString);
      detailed.put(s.get("step").asLong(), s.get("detailed").asBoolean());
    }
    long sampled = detailed.values().stream().filter(d -> d).count();
    assertEquals(STEPS / SAMPLE_EVERY, sampled, detailed::toString);
    for (Dl4jTrace.Event step : t.steps) {
      long layersAndOps = step.descendants().stream()
          .filter(e -> e.cat().equals("layer") || e.cat().equals("op") || e.cat().equals("gemm")).count();
      if (detailed.get(step.step())) {
        assertTrue(layersAndOps > 0, step::toString);
        long recorded = step.descendants().stream().filter(e -> e.cat().equals("gemm")).mapToLong(e -> e.flops())
            .sum();
        assertEquals(flops, recorded, "a sampled step's GEMM spans hold the FLOPs every step counts");
      } else {
        assertEquals(0, layersAndOps, () -> "step " + step.step() + " is not sampled: " + step.descendants());
      }
    }
  }
}
