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

  /**
   * FLOPs of a convolution from its output {@code [N, Cout, spatial...]} and weight
   * {@code [Cout, Cin/groups, kernel...]}: {@code 2·N·Cout·Hout·Wout·Cin·Kh·Kw/groups} for 2-D, the same product
   * for 1-D and 3-D. 0 when the shapes do not fit the form.
   */
  public static long convolution(long[] output, long[] weight) {
    if (output == null || weight == null || output.length < 3 || weight.length != output.length) {
      return 0;
    }
    return 2 * product(output, 0, output.length) * product(weight, 1, weight.length);
  }

  /**
   * FLOPs of a recurrent layer stack (RNN, GRU, LSTM) over a sequence. For every sample and time step each 2-D
   * weight matrix {@code [gates·h, in]} costs {@code 2·gates·h·in}, so one LSTM layer and direction costs
   * {@code 8·h·(in+h)}: {@code perStepFlops} is that sum over the stack's weight matrices (biases add no GEMM work),
   * and {@code samplesTimesSteps} the product of the input's leading dimensions ({@link #leadingProduct}).
   */
  public static long recurrent(long samplesTimesSteps, long perStepFlops) {
    return samplesTimesSteps * perStepFlops;
  }

  /** The product of all but the last dimension (samples × time steps of a sequence input). */
  public static long leadingProduct(long[] shape) {
    return shape == null || shape.length == 0 ? 0 : product(shape, 0, shape.length - 1);
  }

  private static long product(long[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= dims[i];
    }
    return p;
  }
}
