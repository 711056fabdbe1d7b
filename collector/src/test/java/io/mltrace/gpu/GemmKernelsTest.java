package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class GemmKernelsTest {
  @Test
  void gemmKernelsAreRecognisedByName() {
    for (String n : List.of("volta_sgemm_128x64_nn", "cutlass_80_tensorop_s1688gemm_64x64_32x6_tn_align4",
        "sm90_xmma_gemm_f32f32_tf32f32_f32_nn_n_tilesize128x128x32", "_ZN7cutlass6KernelINS_4gemm6kernel4GemmE",
        "sm90_wgmma_kernel", "ampere_h16816gemm_256x128_ldg8_stages_32x3_nn")) {
      assertEquals(true, GemmKernels.isGemm(n), n);
    }
    for (String n : List.of("void at::native::vectorized_elementwise_kernel", "gemv2T_kernel_val", "reduce_kernel")) {
      assertEquals(false, GemmKernels.isGemm(n), n);
    }
  }
}
