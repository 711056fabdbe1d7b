package io.mltrace.bootstrap;

/**
 * FLOPs of GEMM-like operations from their input shapes: {@code 2·M·N·K} per matrix product, times the batch.
 *
 * <p>Pure functions over {@code long[]} shapes, so that advice can call them without framework types.
 */
public final class GemmShapes {
  /** {@code y = x·Wᵀ (+ b)}: x is {@code [..., K]}, W is {@code [N, K]}. */
  public static final int LINEAR = 0;
  /** {@code y = a·b} with numpy broadcasting: a is {@code [..., M, K]} (or {@code [K]}), b {@code [..., K, N]}. */
  public static final int MATMUL = 1;

  private GemmShapes() {}

  /** FLOPs of one call; 0 when the shapes do not fit the form. */
  public static long flops(int form, long[] a, long[] b) {
    if (a == null || b == null || a.length == 0 || b.length == 0) {
      return 0;
    }
    if (form == LINEAR) {
      long k = a[a.length - 1];
      long m = product(a, 0, a.length - 1);
      long n = b.length == 1 ? 1 : b[0];
      return 2 * m * n * k;
    }
    long m = a.length >= 2 ? a[a.length - 2] : 1;
    long k = a[a.length - 1];
    long n = b.length >= 2 ? b[b.length - 1] : 1;
    long batch = Math.max(product(a, 0, a.length - 2), product(b, 0, b.length - 2));
    return 2 * batch * m * n * k;
  }

  private static long product(long[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= dims[i];
    }
    return p;
  }
}
