package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without peak_gflops, a calibration GEMM through the job's engine sets the peak once and caches it. */
class GemmCalibrationIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @AfterEach
  void clearEnv() {
    ChildJvm.EXTRA_ENV.get().clear();
  }

  private static JsonNode train(Path out, String extraArgs) throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=off" + extraArgs,
        List.of(),
        DjlFoundationIT.MLP, "--steps", "30");
    assertEquals(0, run.exitCode, run::toString);
    return JSON.readTree(out.resolve("summary.json").toFile());
  }

  @Test
  void theCalibratedPeakIsMeasuredOnceCachedAndUsedForUtilization(@TempDir Path cache, @TempDir Path a,
      @TempDir Path b) throws Exception {
    ChildJvm.EXTRA_ENV.get().putAll(Map.of("XDG_CACHE_HOME", cache.toString()));
    JsonNode first = train(a, "");
    Path file = cache.resolve("mltrace/calibration.properties");
    assertTrue(Files.exists(file), "calibration cached");
    Properties p = new Properties();
    try (var in = Files.newInputStream(file)) {
      p.load(in);
    }
    assertEquals(1, p.size());
    String key = p.stringPropertyNames().iterator().next();
    assertTrue(key.startsWith("djl|"), key);
    double peak = Double.parseDouble(p.getProperty(key));
    assertTrue(peak > 0.5 && peak < 10_000, "a CPU's GEMM peak in GFLOP/s: " + peak);
    assertEquals(peak, first.get("peak_gflops").asDouble(), 0.001);
    double utilization = first.get("totals").get("utilization").asDouble();
    assertTrue(utilization > 0 && utilization < 1, "GEMM FLOPs over wall time cannot exceed the peak: "
        + utilization);

    // A second run reuses the cached value instead of measuring again.
    Files.writeString(file, key.replace(":", "\\:").replace("=", "\\=") + "=123.000\n");
    JsonNode second = train(b, "");
    assertEquals(123.0, second.get("peak_gflops").asDouble(), 0.001);
  }

  /** ND4J's GEMM outside the training loop needs classes the training loop does not (flatbuffers, once missing). */
  @Test
  void aDl4jJobIsCalibratedThroughNd4j(@TempDir Path cache, @TempDir Path out) throws Exception {
    ChildJvm.EXTRA_ENV.get().putAll(Map.of("XDG_CACHE_HOME", cache.toString()));
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=off", Dl4jTrace.JVM_FLAGS,
        Dl4jTrace.MAIN, "--steps", "30");
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(!run.stderr.contains("GEMM calibration failed"), run::toString);
    Properties p = new Properties();
    try (var in = Files.newInputStream(cache.resolve("mltrace/calibration.properties"))) {
      p.load(in);
    }
    String key = p.stringPropertyNames().iterator().next();
    assertTrue(key.startsWith("nd4j|"), key);
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertEquals(Double.parseDouble(p.getProperty(key)), summary.get("peak_gflops").asDouble(), 0.001);
  }

  @Test
  void anExplicitPeakWinsAndNothingIsCalibrated(@TempDir Path cache, @TempDir Path a) throws Exception {
    ChildJvm.EXTRA_ENV.get().putAll(Map.of("XDG_CACHE_HOME", cache.toString()));
    JsonNode s = train(a, ",peak_gflops=40");
    assertEquals(40.0, s.get("peak_gflops").asDouble(), 0.001);
    assertTrue(!Files.exists(cache.resolve("mltrace/calibration.properties")));
  }
}
