package io.mltrace.gpu;

import java.util.List;
import java.util.Locale;

/**
 * Tells GEMM kernels from other kernels by name: cuBLAS ({@code sgemm}, {@code gemv} is not a GEMM),
 * CUTLASS, and the tensor-core families ({@code xmma}, {@code wgmma}, {@code hmma}, {@code s884}/{@code s1688}/
 * {@code s16816} tile names). Names are matched as CUPTI reports them (usually mangled C++), case-insensitively.
 */
final class GemmKernels {
  private static final List<String> MARKERS = List.of("gemm", "cutlass", "xmma", "wgmma", "hmma", "imma",
      "s884", "h884", "s1688", "h1688", "s16816", "h16816", "cublaslt", "matmul", "gemmk");

  private GemmKernels() {}

  static boolean isGemm(String kernelName) {
    if (kernelName == null) {
      return false;
    }
    String n = kernelName.toLowerCase(Locale.ROOT);
    for (String m : MARKERS) {
      if (n.contains(m)) {
        return true;
      }
    }
    return false;
  }
}
