package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OpFlopsTest {
  @Test
  void matmulIs2MNKWhateverTheTransposes() {
    long expected = 2L * 64 * 128 * 784;
    assertEquals(expected, OpFlops.matmul(new long[] {64, 784}, new long[] {784, 128}, new long[] {64, 128}));
    assertEquals(expected, OpFlops.matmul(new long[] {784, 64}, new long[] {784, 128}, new long[] {64, 128}));
    assertEquals(expected, OpFlops.matmul(new long[] {64, 784}, new long[] {128, 784}, new long[] {128, 64}));
    assertEquals(2L * 3 * 5 * 7 * 11,
        OpFlops.matmul(new long[] {3, 5, 11}, new long[] {3, 11, 7}, new long[] {3, 5, 7}));
    assertEquals(expected, OpFlops.ofNamedOp("matmul", new long[] {64, 784}, new long[] {784, 128}, null,
        new long[] {64, 128}));
  }

  @Test
  void matmulBackpropIsTwoProductsOfTheForwardSize() {
    assertEquals(2 * 2L * 64 * 128 * 784, OpFlops.ofNamedOp("matmul_bp", new long[] {64, 784},
        new long[] {784, 128}, new long[] {64, 128}, new long[] {64, 784}));
  }

  @Test
  void conv2dIsTheAnalyticCountInBothWeightLayouts() {
    long expected = 2L * 8 * 16 * 10 * 10 * 3 * 3 * 3;
    long[] out = {8, 16, 10, 10};
    assertEquals(expected, OpFlops.conv2d(new long[] {3, 3, 3, 16}, out));
    assertEquals(expected, OpFlops.conv2d(new long[] {16, 3, 3, 3}, out));
  }

  @Test
  void lstmLayerIs8HTimesInPlusHPerSampleAndTimeStep() {
    long h = 16;
    long in = 8;
    long expected = 8 * h * (in + h) * 4 * 10;
    assertEquals(expected, OpFlops.lstmLayer(new long[] {10, 4, in}, new long[] {in, 4 * h}, new long[] {h, 4 * h}));
  }

  @Test
  void unknownOpsAndMissingShapesCountNothing() {
    assertEquals(0, OpFlops.ofNamedOp("relu", new long[] {2, 2}, null, null, new long[] {2, 2}));
    assertEquals(0, OpFlops.ofNamedOp(null, null, null, null, null));
    assertEquals(0, OpFlops.conv2d(null, new long[] {1, 1, 1, 1}));
    assertTrue(OpFlops.isGemmLike("matmul") && OpFlops.isGemmLike("conv2d") && OpFlops.isGemmLike("lstmLayer"));
    assertFalse(OpFlops.isGemmLike("relu") || OpFlops.isGemmLike(null));
  }

  @Test
  void spanNamesAreBuiltOnceAndServedFromTheTable() {
    String first = SpanNames.indexed(String.class, 3, ".backprop");
    assertEquals("String[3].backprop", first);
    assertSame(first, SpanNames.indexed(String.class, 3, ".backprop"));
    assertEquals("String[4]", SpanNames.indexed(String.class, 4, ""));
  }

  @Test
  void dataTypesMapNd4jAndDjlNames() {
    assertEquals(DataTypes.FLOAT32, DataTypes.code("FLOAT"));
    assertEquals(DataTypes.FLOAT32, DataTypes.code("FLOAT32"));
    assertEquals(DataTypes.INT64, DataTypes.code("LONG"));
    assertEquals("float64", DataTypes.name(DataTypes.code("DOUBLE")));
    assertEquals(DataTypes.UNKNOWN, DataTypes.code("UTF8"));
    assertEquals(null, DataTypes.name(DataTypes.UNKNOWN));
  }
}
