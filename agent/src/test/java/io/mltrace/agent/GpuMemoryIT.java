package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device memory per step through the whole agent: a child JVM whose GEMM op allocates a leaking buffer and a scratch
 * buffer through the fake libcupti, and whose optimizer frees the scratch. Each step's {@code gpu_*} series in
 * summary.json are exact, and the leak finder names the op that launched the leak.
 */
class GpuMemoryIT {
  static final int STEPS = 60;
  static final long LEAK = 1L << 20;

  @TempDir
  Path out;

  @AfterEach
  void clear() {
    ChildJvm.EXTRA_CLASSPATH.remove();
  }

  @Test
  void allocsAndFreesPerStepAreExactAndADeviceLeakIsNamedByItsLaunchingOp() throws Exception {
    assertTrue(Files.isRegularFile(GpuAgentIT.FAKE_CUPTI), "the collector build makes " + GpuAgentIT.FAKE_CUPTI);
    ChildJvm.EXTRA_CLASSPATH.set(ChildJvm.gpuTestClasspath());
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,cupti_path="
        + GpuAgentIT.FAKE_CUPTI, List.of("-Dmltrace.test.fakeCupti=" + GpuAgentIT.FAKE_CUPTI,
            "-Dmltrace.test.gpuLeakBytes=" + LEAK), FakeGpuTraining.class.getName(), String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stderr.lines().noneMatch(l -> l.contains("GPU")), run::toString);
    assertTrue(run.stderr.contains("memory leak suspect: gpu_live_bytes"), run::toString);
    assertTrue(run.stdout.contains("memory records " + 3 * STEPS + " (host 0)"), run::toString);

    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    JsonNode steps = summary.get("steps");
    assertEquals(STEPS, steps.size());
    for (int i = 0; i < STEPS; i++) {
      JsonNode m = steps.get(i).get("memory");
      String at = "step " + (i + 1) + ": " + m;
      assertEquals(LEAK + FakeGpuTraining.SCRATCH_BYTES, m.get("gpu_alloc_bytes").asLong(), at);
      assertEquals(2, m.get("gpu_allocs").asLong(), at);
      assertEquals(FakeGpuTraining.SCRATCH_BYTES, m.get("gpu_free_bytes").asLong(), at);
      assertEquals(1, m.get("gpu_frees").asLong(), at);
      assertEquals((i + 1) * LEAK, m.get("gpu_live_bytes").asLong(), at);
    }

    JsonNode leak = null;
    for (JsonNode l : summary.get("leaks")) {
      if (l.get("series").asText().equals("gpu_live_bytes")) {
        leak = l;
      }
    }
    assertTrue(leak != null, summary.get("leaks")::toString);
    assertEquals(LEAK, leak.get("bytes_per_step").asDouble(), LEAK * 0.05, leak::toString);
    JsonNode site = leak.get("sites").get(0);
    assertEquals("matmul", site.get("site").asText(), leak::toString);
    // The sites of the step last judged (every few steps): all its leaked buffers, launched by matmul.
    long bytes = site.get("bytes").asLong();
    assertTrue(bytes >= (STEPS - 4) * LEAK && bytes <= STEPS * LEAK && bytes % LEAK == 0, leak::toString);
    assertEquals(bytes / LEAK, site.get("count").asLong(), leak::toString);
  }
}
