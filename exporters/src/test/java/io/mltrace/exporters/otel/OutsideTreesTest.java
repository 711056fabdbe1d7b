package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.Span;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spans outside steps grouped per thread into trees, with the rate and the pending bound (a clock set by hand). */
class OutsideTreesTest {
  private long now;

  private static Span span(String name, long thread, long start, long end, long id, long parent) {
    return new Span(parent == 0 ? Kind.INFERENCE : Kind.PHASE, name, thread, start, end, id, parent, 0, 0,
        new long[0][]);
  }

  @Test
  void aTreeGoesOutWholeWhenItsRootClosesAndThreadsDoNotMix() {
    OutsideTrees trees = new OutsideTrees(20, () -> now);
    assertNull(trees.add(span("preprocess", 1, 10, 20, 11, 10)));
    assertNull(trees.add(span("other thread's", 2, 12, 18, 21, 20)));
    assertNull(trees.add(span("forward", 1, 20, 40, 12, 10)));
    List<Span> tree = trees.add(span("predict", 1, 5, 50, 10, 0));
    assertEquals(List.of("preprocess", "forward", "predict"), tree.stream().map(Span::name).toList());
    List<Span> other = trees.add(span("predict", 2, 11, 19, 20, 0));
    assertEquals(2, other.size(), "thread 2's own tree");
  }

  @Test
  void anOpOutsideAnySpanIsNoTree() {
    OutsideTrees trees = new OutsideTrees(20, () -> now);
    assertNull(trees.add(new Span(Kind.OP_OTHER, "normal", 1, 0, 10, 7, 0, 0, 0, new long[0][])));
    assertEquals(0, trees.overRate());
  }

  @Test
  void moreTreesThanTheRateAreASampleCountedNotSent() {
    OutsideTrees trees = new OutsideTrees(20, () -> now);
    int sent = 0;
    for (int i = 0; i < 100; i++) { // 100 roots within one instant: the bucket holds 20
      if (trees.add(span("predict", 1, i, i + 1, 100 + i, 0)) != null) {
        sent++;
      }
    }
    assertEquals(20, sent);
    assertEquals(80, trees.overRate());
    now += 500_000_000L; // half a second refills 10
    for (int i = 0; i < 100; i++) {
      if (trees.add(span("predict", 1, i, i + 1, 300 + i, 0)) != null) {
        sent++;
      }
    }
    assertEquals(30, sent);
  }

  @Test
  void spansWaitingForARootThatNeverClosesAreBounded() {
    OutsideTrees trees = new OutsideTrees(20, () -> now);
    for (int i = 0; i < OutsideTrees.MAX_PENDING_SPANS + 10; i++) {
      assertNull(trees.add(span("child", 1, i, i + 1, 1000 + i, 999)));
    }
    assertEquals(10, trees.overflowed(), "past the bound: dropped and counted");
    // A later root of that thread takes only its own children; the strays are counted, not sent under it.
    List<Span> tree = trees.add(span("predict", 1, 1_000_000, 1_000_010, 5, 0));
    assertEquals(1, tree.size());
    assertEquals(10 + OutsideTrees.MAX_PENDING_SPANS, trees.overflowed());
  }
}
