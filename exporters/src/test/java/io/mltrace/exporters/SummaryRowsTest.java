package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.Category;
import io.mltrace.exporters.testing.FedAlong;
import io.mltrace.exporters.testing.RecordedSteps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * summary.json is written every report interval, each step's row rendered once: the file written as the run grows
 * must be the one a single write at its end makes, also when the peak that each row's utilization divides by
 * arrives in the middle of the run (the GEMM calibration ends after the first steps).
 */
class SummaryRowsTest {
  @TempDir
  Path dir;

  @Test
  void aSummaryWrittenAsTheRunGrowsIsTheOneWrittenOnceAtItsEnd() throws Exception {
    double[] peak = {0};
    Path growingFile = dir.resolve("growing.json");
    Path onceFile = dir.resolve("once.json");
    SummaryWriter growing = new SummaryWriter(growingFile, 100, List.of(Category.values()), () -> peak[0], Map.of());
    SummaryWriter once = new SummaryWriter(onceFile, 100, List.of(Category.values()), () -> peak[0], Map.of());
    FedAlong alsoOnce = new FedAlong(once);
    for (int run = 0; run < 6; run++) {
      if (run == 3) {
        peak[0] = 7.5; // from here on every row has a utilization, the ones written before too
      }
      RecordedSteps.run(2, growing, alsoOnce); // each run's collector writes the file when it closes
    }
    once.flush(alsoOnce.lastStats());
    String whole = Files.readString(onceFile);
    assertEquals(whole, Files.readString(growingFile));
    JsonNode steps = new ObjectMapper().readTree(whole).get("steps");
    assertEquals(12, steps.size());
    for (JsonNode s : steps) {
      assertTrue(s.has("utilization"), s.toString());
    }
  }
}
