package io.mltrace.bootstrap;

/**
 * FLOPs of named tensor operations (the op names of ND4J's native library, libnd4j) from the shapes of their
 * inputs and first output. Pure functions over {@code long[]} shapes, so that advice can call them without
 * framework types.
 *
 * <p>GEMM: {@code 2·M·N·K} per matrix product. Taking the sizes from the output as well as the inputs makes the
 * count independent of transpose flags: for {@code A·B = C} the contracted size is
 * {@code K = sqrt(|A|·|B| / |C|)} over the last two dimensions.
 */
public final class OpFlops {
  private OpFlops() {}

  /** True for the ops whose time counts as GEMM: matrix products, convolutions, recurrent layers. */
  public static boolean isGemmLike(String op) {
    if (op == null) {
      return false;
    }
    switch (op) {
      case "matmul": case "matmul_bp": case "mmul": case "xw_plus_b": case "xw_plus_b_bp": case "batched_gemm":
      case "tensordot": case "tensormmul": case "tensormmul_bp":
      case "conv1d": case "conv2d": case "conv2d_bp": case "conv3dnew": case "deconv2d": case "depthwise_conv2d":
      case "lstmLayer": case "lstmLayer_bp": case "lstmCell": case "lstmBlock": case "lstmLayerCell":
      case "gruCell": case "gru":
        return true;
      default:
        return false;
    }
  }

  /**
   * FLOPs of one call; 0 when the op or the shapes are not understood.
   *
   * @param in0 shape of the first input (the left matrix, the convolution input, the LSTM input)
   * @param in1 shape of the second input (the right matrix, the weights, the input weights)
   * @param in2 shape of the third input (the gradient for {@code *_bp} ops, the recurrent weights); may be null
   * @param out0 shape of the first output
   */
  public static long ofNamedOp(String op, long[] in0, long[] in1, long[] in2, long[] out0) {
    if (op == null) {
      return 0;
    }
    switch (op) {
      case "matmul": case "mmul": case "xw_plus_b":
        return matmul(in0, in1, out0);
      case "matmul_bp":
        // Two products of the forward's size: dA = dC·Bᵀ and dB = Aᵀ·dC.
        return 2 * matmul(in0, in1, in2);
      case "conv2d":
        return conv2d(in1, out0);
      case "lstmLayer":
        return lstmLayer(in0, in1, in2);
      default:
        return 0;
    }
  }

  /** {@code 2·batch·M·N·K} for {@code A·B = C} with any transposes; batch dimensions lead, as in C. */
  public static long matmul(long[] a, long[] b, long[] c) {
    if (a == null || b == null || c == null || a.length < 2 || b.length < 2 || c.length < 2) {
      return GemmShapes.flops(GemmShapes.MATMUL, a, b);
    }
    long a2 = a[a.length - 1] * a[a.length - 2];
    long b2 = b[b.length - 1] * b[b.length - 2];
    long c2 = c[c.length - 1] * c[c.length - 2];
    if (c2 == 0) {
      return 0;
    }
    long k = isqrt(a2 * b2 / c2);
    long batch = 1;
    for (int i = 0; i < c.length - 2; i++) {
      batch *= c[i];
    }
    return 2 * batch * c2 * k;
  }

  /**
   * {@code 2·N·Cout·Hout·Wout·Cin·Kh·Kw} (one group): the output has {@code N·Cout·Hout·Wout} elements, the
   * weights {@code Cout·Cin·Kh·Kw}, so the count is {@code 2·|out|·|W| / Cout}. Cout is the weights' dimension
   * that the output also has: ND4J's weight layouts put it first or last.
   */
  public static long conv2d(long[] weights, long[] out) {
    if (weights == null || out == null || weights.length != 4 || out.length != 4) {
      return 0;
    }
    long cout = weights[3];
    if (out[1] != cout && out[3] != cout) {
      cout = weights[0];
    }
    if (cout == 0) {
      return 0;
    }
    return 2 * product(out) * product(weights) / cout;
  }

  /**
   * One LSTM layer, all time steps: {@code 8·h·(in+h)} per sample and time step, from the input {@code x}
   * (batch × time × in elements in any layout), input weights {@code [in, 4h]} and recurrent weights
   * {@code [h, 4h]}: {@code 2·(B·T)·(|Wx| + |Wr|)}.
   */
  public static long lstmLayer(long[] x, long[] inputWeights, long[] recurrentWeights) {
    if (x == null || inputWeights == null || recurrentWeights == null || inputWeights.length != 2
        || inputWeights[0] == 0) {
      return 0;
    }
    long samplesTimesSteps = product(x) / inputWeights[0];
    return 2 * samplesTimesSteps * (product(inputWeights) + product(recurrentWeights));
  }

  static long isqrt(long v) {
    long r = (long) Math.sqrt((double) v);
    while (r * r > v) {
      r--;
    }
    while ((r + 1) * (r + 1) <= v) {
      r++;
    }
    return r;
  }

  private static long product(long[] dims) {
    long p = 1;
    for (long d : dims) {
      p *= d;
    }
    return p;
  }
}
