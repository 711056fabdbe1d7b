package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.collector.StepAccounting.Interval;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StepAccountingTest {

  @Test
  void emptyStepIsAllUnattributed() {
    Breakdown b = StepAccounting.account(100, 1100, List.of());
    assertEquals(1000, b.ns(Category.UNATTRIBUTED));
    assertEquals(1000, b.total());
  }

  @Test
  void nestedOpInsidePhaseTakesItsOwnTimeAndPhaseKeepsTheRest() {
    Breakdown b = StepAccounting.account(0, 1000, List.of(
        new Interval(100, 900, Category.FRAMEWORK),
        new Interval(200, 500, Category.GEMM),
        new Interval(600, 700, Category.OTHER_COMPUTE)));
    assertEquals(300, b.ns(Category.GEMM));
    assertEquals(100, b.ns(Category.OTHER_COMPUTE));
    assertEquals(400, b.ns(Category.FRAMEWORK));
    assertEquals(200, b.ns(Category.UNATTRIBUTED));
    assertEquals(1000, b.total());
  }

  @Test
  void gcInsideAnOpIsGcNotTheOp() {
    Breakdown b = StepAccounting.account(0, 1000, List.of(
        new Interval(0, 1000, Category.GEMM),
        new Interval(400, 450, Category.GC)));
    assertEquals(50, b.ns(Category.GC));
    assertEquals(950, b.ns(Category.GEMM));
  }

  @Test
  void opsRunByTheDataPipelineAreDataButCopiesStayCopies() {
    Breakdown b = StepAccounting.account(0, 100, List.of(
        new Interval(0, 100, Category.DATA),
        new Interval(10, 30, Category.OTHER_COMPUTE),
        new Interval(40, 50, Category.GEMM),
        new Interval(60, 65, Category.MEMCPY)));
    assertEquals(0, b.ns(Category.OTHER_COMPUTE));
    assertEquals(0, b.ns(Category.GEMM));
    assertEquals(5, b.ns(Category.MEMCPY));
    assertEquals(95, b.ns(Category.DATA));
  }

  @Test
  void overlappingSameCategoryIsCountedOnce() {
    Breakdown b = StepAccounting.account(0, 100, List.of(
        new Interval(10, 60, Category.GEMM),
        new Interval(40, 80, Category.GEMM)));
    assertEquals(70, b.ns(Category.GEMM));
    assertEquals(30, b.ns(Category.UNATTRIBUTED));
  }

  @Test
  void intervalsOutsideTheStepAreClipped() {
    Breakdown b = StepAccounting.account(100, 200, List.of(
        new Interval(50, 150, Category.DATA),
        new Interval(190, 300, Category.GEMM),
        new Interval(0, 90, Category.GC)));
    assertEquals(50, b.ns(Category.DATA));
    assertEquals(10, b.ns(Category.GEMM));
    assertEquals(0, b.ns(Category.GC));
    assertEquals(100, b.total());
  }

  @Test
  void priorityOrderIsTheEnumOrder() {
    Category[] all = Category.values();
    List<Interval> ivs = new ArrayList<>();
    // Each category i covers [i*10, 100): at time t the highest-priority active one wins.
    for (int i = 0; i < all.length - 1; i++) {
      ivs.add(new Interval(i * 10L, 100, all[all.length - 2 - i]));
    }
    Breakdown b = StepAccounting.account(0, 100, ivs);
    // The last interval added starts latest with the highest priority (GC) and takes the rest; every other category
    // holds the 10 ns before the next higher one starts.
    long last = (all.length - 2) * 10L;
    assertEquals(100 - last, b.ns(Category.GC));
    for (int i = 0; i < all.length - 2; i++) {
      assertEquals(10, b.ns(all[all.length - 2 - i]), all[all.length - 2 - i].key());
    }
    assertEquals(100, b.total());
  }

  @Test
  void randomTimelinesSumExactlyInAnyOrder() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      long start = random.nextInt(1_000_000);
      long end = start + 1 + random.nextInt(10_000_000);
      List<Interval> ivs = new ArrayList<>();
      int n = random.nextInt(50);
      for (int i = 0; i < n; i++) {
        long s = start - 1000 + random.nextInt((int) (end - start + 2000));
        long e = s + random.nextInt(2_000_000);
        ivs.add(new Interval(s, e, Category.values()[random.nextInt(Category.values().length)]));
      }
      Breakdown forward = StepAccounting.account(start, end, ivs);
      Collections.shuffle(ivs, random);
      Breakdown shuffled = StepAccounting.account(start, end, ivs);
      assertEquals(end - start, forward.total());
      assertEquals(forward.asMap(), shuffled.asMap());
    }
  }
}
