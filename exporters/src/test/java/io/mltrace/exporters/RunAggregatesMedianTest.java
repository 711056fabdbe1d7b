package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The median that the estimate check reports per checking step ({@link RunAggregates#checkMedianStepError}). */
class RunAggregatesMedianTest {
  @Test
  void theMiddleValueOrTheMeanOfTheMiddleTwo() {
    // One step's error of -0.9 (its ops stalled) moves a mean, not the median.
    assertEquals(0.02, RunAggregates.median(new double[] {0.03, -0.9, 0.02, 0.01, 0.05}, 5), 1e-12);
    assertEquals(0.025, RunAggregates.median(new double[] {0.03, -0.9, 0.02, 0.05}, 4), 1e-12);
    assertEquals(0.02, RunAggregates.median(new double[] {0.02, 7, 7}, 1), 1e-12, "only the first n count");
    assertTrue(Double.isNaN(RunAggregates.median(new double[4], 0)));
  }

  @Test
  void noCheckingStepNoMedian() {
    assertTrue(Double.isNaN(new RunAggregates().checkMedianStepError()));
  }
}
