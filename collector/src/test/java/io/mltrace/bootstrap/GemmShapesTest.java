package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GemmShapesTest {
  @Test
  void linearIsTwoMnkWithBatchDimsFoldedIntoM() {
    assertEquals(2L * 64 * 128 * 784, GemmShapes.flops(GemmShapes.LINEAR, new long[] {64, 784}, new long[] {128, 784}));
    assertEquals(2L * 8 * 16 * 10 * 32,
        GemmShapes.flops(GemmShapes.LINEAR, new long[] {8, 16, 32}, new long[] {10, 32}));
  }

  @Test
  void matmulHandlesBatchAndVectors() {
    assertEquals(2L * 3 * 5 * 4, GemmShapes.flops(GemmShapes.MATMUL, new long[] {3, 4}, new long[] {4, 5}));
    assertEquals(2L * 7 * 3 * 5 * 4, GemmShapes.flops(GemmShapes.MATMUL, new long[] {7, 3, 4}, new long[] {7, 4, 5}));
    assertEquals(2L * 4, GemmShapes.flops(GemmShapes.MATMUL, new long[] {4}, new long[] {4}));
  }

  @Test
  void missingShapesGiveZero() {
    assertEquals(0, GemmShapes.flops(GemmShapes.MATMUL, null, new long[] {4}));
    assertEquals(0, GemmShapes.flops(GemmShapes.LINEAR, new long[0], new long[] {4}));
  }
}
