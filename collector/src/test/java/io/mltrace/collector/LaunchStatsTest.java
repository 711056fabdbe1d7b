package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.collector.LaunchStats.OpLaunches;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Launch statistics on the scripted step of {@link GpuIdleSplitTest}. */
class LaunchStatsTest {
  @Test
  void launchDelaysShortWorkAndOutliersAreExactPerOp() {
    List<ExternalActivity> activities = new ArrayList<>(GpuIdleSplitTest.activities());
    activities.add(GpuIdleSplitTest.kernel(7, 99, 1_000, 2_000, 3_000, 4_000)); // its span is not in the step
    List<OpLaunches> ops = LaunchStats.of(GpuIdleSplitTest.spans(), activities);
    assertEquals(List.of("matmul", "relu", "toDevice", LaunchStats.NO_SPAN), ops.stream().map(OpLaunches::op).toList());

    OpLaunches matmul = ops.get(0);
    assertEquals(2, matmul.launches());
    assertEquals(1, matmul.unknown(), "the stream-9 kernel has no launch record");
    assertEquals(20_000 + 60_020, matmul.delayTotalNs());
    assertEquals(60_020, matmul.delayMaxNs());
    assertEquals(40_010, matmul.delayMeanNs());
    assertEquals(11_000, matmul.apiTotalNs());
    assertEquals(0, matmul.shorterThanLaunch());
    assertEquals(0, matmul.delayOutliers());
    assertEquals(0, matmul.slowLaunches());

    OpLaunches relu = ops.get(1);
    assertEquals(2, relu.launches());
    assertEquals(5_000 + 430_000, relu.delayTotalNs());
    assertEquals(430_000, relu.delayMaxNs());
    assertEquals(1, relu.delayOutliers(), "queued 430 µs before it ran");
    assertEquals(0, relu.slowLaunches());

    OpLaunches copy = ops.get(2);
    assertEquals(1, copy.launches());
    assertEquals(200_000, copy.delayTotalNs());
    assertEquals(190_000, copy.apiTotalNs());
    assertEquals(1, copy.shorterThanLaunch(), "a 20 µs copy behind a 190 µs launch");
    assertEquals(1, copy.delayOutliers());
    assertEquals(1, copy.slowLaunches());

    OpLaunches none = ops.get(3);
    assertEquals(1, none.launches());
    assertEquals(2_000, none.delayTotalNs());
    assertEquals(0, none.shorterThanLaunch(), "as long as its launch is not shorter");

    OpLaunches sum = OpLaunches.empty("matmul");
    sum.add(matmul);
    sum.add(matmul);
    assertEquals(4, sum.launches());
    assertEquals(60_020, sum.delayMaxNs());
    assertEquals(2 * 80_020, sum.delayTotalNs());
  }

  @Test
  void jvmEventsAreNotLaunches() {
    ExternalActivity gc = new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "G1 Young", 0, 0, 10, 0, 0,
        0, 0, null);
    assertEquals(0, LaunchStats.of(List.of(), List.of(gc)).size());
  }
}
