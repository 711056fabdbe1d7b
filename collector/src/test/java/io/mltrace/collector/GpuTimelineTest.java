package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.GpuTimeline.DeviceUse;
import io.mltrace.collector.GpuTimeline.IdleReason;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuTimelineTest {
  private static Span span(int kind, long start, long end, long id) {
    return new Span(kind, "s" + id, 1, start, end, id, 0, 0, 0, new long[0][]);
  }

  private static ExternalActivity gpu(Category c, String name, long start, long end, long span, String detail) {
    return new ExternalActivity(ExternalActivity.Origin.GPU, c, name, 0, start, end, span, 0, 7, 0, detail);
  }

  @Test
  void splitsDeviceTimeAndExplainsEveryIdleGapByTheHost() {
    List<Span> spans = List.of(span(Kind.DATA, 0, 100, 1), span(Kind.PHASE, 100, 1000, 2),
        span(Kind.OP_GEMM, 200, 300, 5), span(Kind.OP_OTHER, 500, 600, 6));
    List<ExternalActivity> activities = List.of(
        // launched by a GEMM op: GEMM time although the name says nothing
        gpu(Category.OTHER_COMPUTE, "void at::native::elementwise_kernel", 250, 400, 5, null),
        // a GEMM by its name, overlapping the first on another stream
        gpu(Category.GEMM, "ampere_sgemm_128x64_nn", 350, 450, 0, null),
        gpu(Category.OTHER_COMPUTE, "relu_kernel", 550, 650, 6, null),
        gpu(Category.MEMCPY, "memcpy H2D", 650, 700, 6, "H2D"),
        gpu(Category.MEMCPY, "memcpy D2H", 700, 720, 6, "D2H"),
        ExternalActivity.gpu(ActivityKind.GPU_MEMSET, Category.OTHER_COMPUTE, "memset", 720, 730, 6, 0, 7, 0, null,
            0, 0),
        new ExternalActivity(ExternalActivity.Origin.JVM, Category.GC, "G1 Young", ExternalActivity.ALL_THREADS,
            800, 850, 0, 0, 0, 0, null),
        // outside the step: clipped away
        gpu(Category.GEMM, "sgemm", 1200, 1300, 0, null));

    GpuTimeline t = GpuTimeline.of(0, 1000, spans, activities);

    assertEquals(200, t.deviceNs(DeviceUse.GEMM_KERNELS));
    assertEquals(100, t.deviceNs(DeviceUse.OTHER_KERNELS));
    assertEquals(50, t.deviceNs(DeviceUse.COPY_H2D));
    assertEquals(20, t.deviceNs(DeviceUse.COPY_D2H));
    assertEquals(0, t.deviceNs(DeviceUse.COPY_D2D));
    assertEquals(10, t.deviceNs(DeviceUse.OTHER_COPY));
    assertEquals(620, t.deviceNs(DeviceUse.IDLE));
    assertEquals(300, t.kernelNs());

    assertEquals(100, t.idleNs(IdleReason.DATA));
    assertEquals(100, t.idleNs(IdleReason.LAUNCH_OVERHEAD));
    assertEquals(50, t.idleNs(IdleReason.GC));
    assertEquals(370, t.idleNs(IdleReason.FRAMEWORK));
    assertEquals(0, t.idleNs(IdleReason.JIT));
    assertEquals(0, t.idleNs(IdleReason.HOST_OTHER));

    long device = 0;
    for (DeviceUse u : DeviceUse.values()) {
      device += t.deviceNs(u);
    }
    assertEquals(1000, device, "device uses sum to the step's wall time");
  }

  @Test
  void aStepWithoutGpuWorkIsAllIdleAndWhatTheHostDidIsNamed() {
    GpuTimeline t = GpuTimeline.of(0, 500, List.of(span(Kind.DATA, 100, 200, 1)), List.of());
    assertEquals(500, t.deviceNs(DeviceUse.IDLE));
    assertEquals(100, t.idleNs(IdleReason.DATA));
    assertEquals(400, t.idleNs(IdleReason.HOST_OTHER));
  }
}
