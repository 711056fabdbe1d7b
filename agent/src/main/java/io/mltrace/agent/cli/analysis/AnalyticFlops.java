package io.mltrace.agent.cli.analysis;

/**
 * Forward GEMM FLOPs of the case-study models, derived from their layers ({@code 2·M·N·K} per matrix product),
 * to compare with what the agent measured.
 */
final class AnalyticFlops {
  private AnalyticFlops() {}

  /**
   * One LSTM layer over a batch of sequences: four gates, each an input ({@code h×in}) and a recurrent
   * ({@code h×h}) product per sample and time step: {@code 8·h·(in+h)·B·T}; {@code 16·h²·B·T} when {@code in = h}.
   */
  static double lstmLayer(double hidden, double in, double batch, double timeSteps) {
    return 8 * hidden * (in + hidden) * batch * timeSteps;
  }

  /**
   * One encoder layer as DJL's {@code TransformerEncoderBlock} computes it, over {@code B} sequences of length
   * {@code L}, model width {@code d}, feed-forward width {@code f}: the query, key, value and output projections
   * ({@code 4 · 2·B·L·d²}), the attention scores {@code Q·Kᵀ} and their product with {@code V} (each
   * {@code 2·B·L²·d}, summed over the heads: the head count cancels), and the two feed-forward products
   * ({@code 2 · 2·B·L·d·f}): {@code 8·B·L·d² + 4·B·L²·d + 4·B·L·d·f}.
   */
  static double transformerLayer(double batch, double seq, double dim, double ffn) {
    return 8 * batch * seq * dim * dim + 4 * batch * seq * seq * dim + 4 * batch * seq * dim * ffn;
  }

  /** The talk's estimate for its 6-layer encoder: {@code 6·(3·2·(L²·d + L·d²/heads) + L·64·d²)}. */
  static double talkTransformer(double seq, double dim, double heads) {
    return 6 * (3 * 2 * (seq * seq * dim + seq * dim * dim / heads) + seq * 64 * dim * dim);
  }

  /**
   * The AlexNet-style CNN of the examples ({@code AlexNetTraining}): five convolutions
   * ({@code 2·B·Cout·Hout·Wout·Cin·k²} each) and three linear layers ({@code 2·B·in·out}).
   */
  static double alexNet(int size, double width, int batch, int classes) {
    int[] c = {scale(64, width), scale(192, width), scale(384, width), scale(256, width), scale(256, width)};
    int fc = scale(4096, width);
    double flops = 0;
    int side = (size + 2 * 2 - 11) / 4 + 1;
    flops += conv(batch, c[0], side, 3, 11);
    side = pool(side);
    flops += conv(batch, c[1], side, c[0], 5);
    side = pool(side);
    flops += conv(batch, c[2], side, c[1], 3) + conv(batch, c[3], side, c[2], 3) + conv(batch, c[4], side, c[3], 3);
    side = pool(side);
    double flat = (double) c[4] * side * side;
    return flops + 2.0 * batch * (flat * fc + (double) fc * fc + (double) fc * classes);
  }

  private static double conv(int batch, int out, int side, int in, int kernel) {
    return 2.0 * batch * out * side * side * in * kernel * kernel;
  }

  private static int pool(int side) {
    return (side - 3) / 2 + 1;
  }

  private static int scale(int channels, double width) {
    return Math.max(1, (int) Math.round(channels * width));
  }
}
