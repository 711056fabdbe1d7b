package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/** The leak rule on series with a known shape: a steady leak, a flat level with noise, growth that is released. */
class LeakFinderTest {
  private final StepAssembler assembler = new StepAssembler(1, 1, 100);
  private final List<Leak> announced = new ArrayList<>();
  private final LeakFinder finder = new LeakFinder(LeakRule.DEFAULT, announced::add);

  @Test
  void aSteadyLeakIsNamedWithItsGrowthAndItsSite() {
    long leak = 100 * 1024;
    feed(1, 80, step -> 50_000_000 + step * leak, true);
    assertEquals(1, finder.suspects().size(), finder.suspects()::toString);
    Leak l = finder.suspects().get(0);
    assertEquals(MemorySeries.ARRAYS_LIVE_BYTES, l.series());
    assertEquals(leak, l.bytesPerStep(), leak * 0.001);
    // Judged once at least LeakRule.minPoints points after the warm-up: by step 10 + 32 + JUDGE_EVERY.
    assertTrue(l.firstSeenStep() <= LeakRule.DEFAULT.warmupSteps() + LeakRule.DEFAULT.minPoints()
        + LeakFinder.JUDGE_EVERY, l::toString);
    assertEquals("Leaky.step(Leaky.java:42)", l.sites().get(0).site());
    assertEquals(80 * 1000, l.sites().get(0).bytes(), "the sites of the latest detailed step, not of the judgement");
    assertEquals(1, announced.size(), "one line per new suspect");
  }

  @Test
  void aFlatLevelWithNoiseAndJumpsIsNoSuspect() {
    Random random = new Random(7);
    // Noise of +-1 MB around a level, and one jump of 100 MB halfway: not a trend.
    feed(1, 1000, step -> 200_000_000 + (step > 500 ? 100_000_000 : 0) + random.nextInt(2_000_000) - 1_000_000,
        false);
    assertEquals(List.of(), finder.suspects());
    assertEquals(List.of(), announced);
  }

  @Test
  void growthThatIsReleasedStopsBeingASuspect() {
    long kept = 200 * 1024;
    // Each step keeps 200 KiB until step 60, then everything kept is closed (late, but closed).
    feed(1, 60, step -> step * kept, false);
    assertEquals(1, finder.suspects().size(), "while it grows it is a suspect");
    feed(61, 200, step -> 0, false);
    assertEquals(List.of(), finder.suspects());
  }

  @Test
  void growthBelowTheFloorIsNoSuspect() {
    feed(1, 300, step -> step * (LeakRule.DEFAULT_MIN_BYTES_PER_STEP / 2), false);
    assertEquals(List.of(), finder.suspects());
  }

  @Test
  void sparseSeriesAreJudgedOnTheStepsThatMeasuredThem() {
    // The heap after a collection: measured every 5th step only, 1 MB more each time.
    for (long step = 1; step <= 400; step++) {
      StepMemory m = new StepMemory();
      if (step % 5 == 0) {
        m.set(MemorySeries.HEAP_AFTER_GC_BYTES, 100_000_000 + step * 1_000_000 / 5);
      }
      finder.onStep(step(step, m, false));
    }
    assertEquals(1, finder.suspects().size());
    assertEquals(200_000, finder.suspects().get(0).bytesPerStep(), 1);
    assertEquals(List.of(), finder.suspects().get(0).sites(), "the heap has no creation sites");
  }

  @Test
  void selectFindsTheKthSmallestLikeASort() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      int n = 1 + random.nextInt(300);
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        values[i] = random.nextInt(20) - 10; // many ties, as slopes of a staircase have
      }
      double[] sorted = values.clone();
      java.util.Arrays.sort(sorted);
      int k = random.nextInt(n);
      assertEquals(sorted[k], LeakFinder.Window.select(values.clone(), n, k), "n " + n + " k " + k);
    }
  }

  private void feed(long from, long to, LongUnaryOperator level, boolean sites) {
    for (long step = from; step <= to; step++) {
      StepMemory m = new StepMemory();
      m.set(MemorySeries.ARRAYS_LIVE_BYTES, level.applyAsLong(step));
      m.set(MemorySeries.ARRAYS_CREATED_BYTES, 12345); // a flow: never judged
      boolean detailed = step % 10 == 0;
      if (sites && detailed) {
        m.addSite(new MemorySite("Leaky.step(Leaky.java:42)", MemorySeries.ARRAYS_LIVE_BYTES, step * 1000, step));
        m.addSite(new MemorySite("Setup.init(Setup.java:7)", MemorySeries.ARRAYS_LIVE_BYTES, 10, 1));
      }
      finder.onRecordedStep(step, 1, detailed, m); // the bridge's series arrive with the step's record
      finder.onStep(step(step, m, detailed)); // and the finished step adds nothing for them
    }
  }

  private Step step(long number, StepMemory memory, boolean detailed) {
    StepAssembler.Draft d = new StepAssembler.Draft(number, number << 8, 1, "main", number * 1000, number * 1000 + 900,
        0, 0, detailed, Collections.emptyList(), 0, JvmFacts.NONE);
    d.memory = memory;
    return assembler.fromRecordsOnly(d);
  }
}
