package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's GPU wiring in a child JVM running the DJL example on the CPU: the bridge is loaded from the agent
 * jar into the bootstrap loader, and every span pushes and pops its correlation id through it; or GPU tracing is
 * unavailable, with one line, and the trace is whole either way. And {@code mltrace stop} on a running job (through
 * the fake libcupti) ends GPU collection at once.
 */
class GpuAgentIT {
  static final String MLP = "io.mltrace.examples.djl.MlpTraining";
  static final Path FAKE_CUPTI = Paths.get("../collector/target/native-test/libcupti_fake.so").toAbsolutePath();
  static final int STEPS = 6;
  static final int STOP_AFTER = 10;
  static final Pattern GPU_LINE = Pattern.compile("gpu records (\\d+) .*enables (\\d+) .*disables (\\d+)");

  @TempDir
  Path out;

  @Test
  void missingLibcuptiGivesOneLineAndEveryStepIsStillRecorded() throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1"
        + ",cupti_path=/nonexistent/libcupti.so",
        List.of(), MLP, "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    List<String> lines = run.stderr.lines().filter(l -> l.contains("GPU tracing")).toList();
    assertEquals(1, lines.size(), run::toString);
    assertTrue(lines.get(0).startsWith("GPU tracing unavailable: cannot load /nonexistent/libcupti.so: "),
        lines.get(0));
    assertStepsRecorded();
  }

  @Test
  void byDefaultAMachineWithoutCudaGetsOneLine() throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1", List.of(), MLP, "--steps",
        String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    List<String> lines = run.stderr.lines().filter(l -> l.contains("GPU tracing")).toList();
    // This project's CI machines have no NVIDIA driver: whichever step fails first, it is one line.
    assertEquals(1, lines.size(), run::toString);
    assertTrue(lines.get(0).startsWith("GPU tracing unavailable: "), lines.get(0));
    assertStepsRecorded();
  }

  @Test
  void withCuptiTheBridgeRunsFromTheBootstrapLoaderAndSpansPushTheirIds() throws Exception {
    assertTrue(Files.isRegularFile(FAKE_CUPTI), "the collector build makes " + FAKE_CUPTI);
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,cupti_path=" + FAKE_CUPTI,
        List.of(), MLP,
        "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stderr.lines().noneMatch(l -> l.contains("GPU tracing")), run::toString);
    // DJL on the CPU launches no CUDA work: collection ran (one window for all steps) and found none.
    assertTrue(run.stdout.contains("mltrace: gpu records 0 (drained 0, unresolved 0, pending overflow 0, "
        + "ring full 0, CUPTI dropped 0), enables 1"), run::toString);
    assertStepsRecorded();
  }

  @Test
  void gpuOffLoadsNothing() throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,gpu=off"
        + ",cupti_path=/nonexistent/x.so",
        List.of(), MLP, "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stderr.lines().noneMatch(l -> l.contains("GPU")), run::toString);
    assertTrue(!run.stdout.contains("gpu records"), run::toString);
    assertStepsRecorded();
  }

  /**
   * {@code mltrace stop} on a running job ends GPU collection at once: the fake launches of the steps after it
   * make no records. Turning detail off alone would end it only at the next step boundary, one step (two records)
   * later: a build without the stop's {@code gpu.disable()} reads 22 records here, not 20.
   */
  @Test
  void stopTurnsGpuCollectionOffInTheRunningJob() throws Exception {
    Path resume = out.resolve("resume");
    Path home = Paths.get(System.getProperty("java.home"));
    ChildJvm.EXTRA_CLASSPATH.set(ChildJvm.gpuTestClasspath());
    try (TrainingProcess job = TrainingProcess.start(home,
        List.of("-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath() + "=output=" + out.resolve("trace")
            + ",report_interval=0,sample_every=1,console=summary,cupti_path=" + FAKE_CUPTI,
            "-Dmltrace.test.fakeCupti=" + FAKE_CUPTI),
        FakeGpuTraining.class.getName(), List.of(String.valueOf(2 * STOP_AFTER), String.valueOf(STOP_AFTER),
            resume.toString()))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!job.stdout().contains("paused after " + STOP_AFTER + " steps")) {
        assertTrue(job.process.isAlive() && System.nanoTime() < deadline, job::toString);
        Thread.sleep(50);
      }
      Cli stop = Cli.run(home, "stop", String.valueOf(job.pid()));
      assertEquals(0, stop.exitCode, stop::toString);
      assertTrue(stop.stdout.contains("GPU collection off"), stop::toString);
      Files.createFile(resume);
      assertEquals(0, job.await(120), job::toString);

      Matcher m = GPU_LINE.matcher(job.stdout());
      assertTrue(m.find(), job::toString);
      long records = Long.parseLong(m.group(1));
      // Each step launches a copy and a kernel: records from the first STOP_AFTER steps only.
      assertTrue(records > 0 && records <= 2L * STOP_AFTER, "records " + records + ": " + job);
      assertTrue(Long.parseLong(m.group(3)) >= 1, "disabled: " + job);
      assertTrue(job.stdout().contains("fake gpu training: " + 2 * STOP_AFTER + " steps"), job::toString);
    } finally {
      ChildJvm.EXTRA_CLASSPATH.remove();
    }
  }

  private void assertStepsRecorded() throws Exception {
    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(STEPS, summary.get("steps").size());
    for (JsonNode step : summary.get("steps")) {
      // Every op was recorded in detail: the span path (where correlation ids are pushed) worked throughout.
      assertTrue(step.get("detailed").asBoolean(), step::toString);
      assertTrue(step.get("ops").asLong() >= 2 && step.get("flops").asLong() > 0, step::toString);
    }
  }
}
