package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code op_timing_every}: in a real DJL job, steps that are not detailed time only some of their ops, and their
 * GEMM time, estimated for the others, stays in line with what the detailed steps measure op by op.
 * {@code timed_step_every}: every n-th step that is not detailed times all its ops, without records.
 */
class DjlOpTimingIT {
  static final int STEPS = 40;
  static final int SAMPLE_EVERY = 5;
  static final int TIMED_EVERY = 7;

  @TempDir
  Path out;

  @Test
  void stepsThatAreNotDetailedTimeSomeOpsAndEstimateTheirGemmTime() throws Exception {
    String ratio = gemmRatioOutOfBand(out.resolve("first"));
    if (ratio != null) {
      // One more JVM before failing: the estimate follows the last timed samples of each op, and in a 40-step job
      // on the loaded 2-core CI machine a slow spell can hold them above what the few detailed steps measured
      // (counted GEMM 2.0x and 2.3x of detailed in two clean-clone runs; locally, in a run whose steps all took
      // 2-5 times as long as usual, 2.7x, where the other 12 runs read 0.8-1.1x). A bias of the estimate misses twice.
      System.out.println("DjlOpTimingIT: " + ratio + ": run again");
      String again = gemmRatioOutOfBand(out.resolve("second"));
      assertTrue(again == null, again + " (and before that " + ratio + ")");
    }
  }

  /** Runs the job and checks its steps; null when the GEMM medians agree within the band, else what they were. */
  private String gemmRatioOutOfBand(Path out) throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=off,sample_every=" + SAMPLE_EVERY
        + ",op_timing_every=8,timed_step_every=" + TIMED_EVERY, List.of(), DjlFoundationIT.MLP, "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(STEPS, summary.get("steps").size());
    List<Long> detailedGemm = new ArrayList<>();
    List<Long> countedGemm = new ArrayList<>();
    long countedOps = 0;
    long countedTimed = 0;
    for (JsonNode step : summary.get("steps")) {
      long number = step.get("step").asLong();
      long ops = step.get("ops").asLong();
      long timed = step.get("ops_timed").asLong();
      long gemm = step.get("breakdown_ns").get("gemm").asLong();
      assertTrue(ops > 0, step::toString);
      assertEquals(number % SAMPLE_EVERY == 0, step.get("detailed").asBoolean(), step::toString);
      if (step.get("detailed").asBoolean()) {
        assertEquals(ops, timed, "a detailed step times every op: " + step);
        if (number > SAMPLE_EVERY) {
          detailedGemm.add(gemm);
        }
      } else if (number <= 3) {
        assertEquals(ops, timed, "a thread's first three steps time every op: " + step);
      } else if (number % TIMED_EVERY == 0) {
        assertEquals(ops, timed, "a timed step times every op: " + step);
        assertEquals(0, step.get("estimated_ns").get("other_compute").asLong(),
            "no op estimated (only DJL's backward GEMM on CPU, which no step can time, is): " + step);
      } else {
        assertTrue(timed < ops, step::toString);
        if (number > SAMPLE_EVERY) { // the first steps load classes and teach the rates
          countedOps += ops;
          countedTimed += timed;
          countedGemm.add(gemm);
        }
      }
    }
    // One op in 8 on average: 12.5% of the ops; a wide band, as the gaps are random.
    double share = (double) countedTimed / countedOps;
    assertTrue(share > 0.06 && share < 0.25, "share of ops timed: " + share);
    assertEquals(summary.get("totals").get("ops_timed").asLong(), sum(summary, "ops_timed"));
    // The estimate is made of what the detailed steps measure: their medians agree within a factor of two.
    double ratio = (double) median(countedGemm) / median(detailedGemm);
    return ratio > 0.5 && ratio < 2.0 ? null : "median GEMM ns, counted steps / detailed steps: "
        + median(countedGemm) + " / " + median(detailedGemm);
  }

  private static long sum(JsonNode summary, String field) {
    long total = 0;
    for (JsonNode step : summary.get("steps")) {
      total += step.get(field).asLong();
    }
    return total;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
