package io.mltrace.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerIdentityTest {
  /** The command line a Spark 3.5 standalone worker gives its executor (sun.java.command holds main and args). */
  private static final String STANDALONE_EXECUTOR = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
      + " --driver-url spark://CoarseGrainedScheduler@127.0.0.1:40123 --executor-id 1 --hostname 10.0.0.7"
      + " --cores 1 --app-id app-20261204082237-0003 --worker-url spark://Worker@10.0.0.7:39999"
      + " --resourceProfileId 0";

  @Test
  void standaloneExecutorIsNamedFromItsCommandLine() {
    WorkerIdentity id = WorkerIdentity.detect(STANDALONE_EXECUTOR, Map.of(), 4242, () -> "machine-a");
    assertTrue(id.isExecutor());
    assertEquals(Map.of("role", "executor", "executor_id", "1", "app_id", "app-20261204082237-0003",
        "host", "10.0.0.7", "pid", "4242"), id.summaryFields());
    Map<String, String> r = id.resourceAttributes();
    assertEquals("10.0.0.7", r.get("host.name"));
    assertEquals("4242", r.get("process.pid"));
    assertEquals("1", r.get("spark.executor.id"));
    assertEquals("app-20261204082237-0003", r.get("spark.app.id"));
    assertEquals("app-20261204082237-0003/executor-1@10.0.0.7:4242", r.get("service.instance.id"));
    assertEquals(Paths.get("/out/app-20261204082237-0003/executor-1"), id.outputFolder(Paths.get("/out")));
  }

  @Test
  void kubernetesExecutorIsNamedFromItsEnvironment() {
    WorkerIdentity id = WorkerIdentity.detect("org.apache.spark.executor.KubernetesExecutorBackend",
        Map.of("SPARK_EXECUTOR_ID", "7", "SPARK_APPLICATION_ID", "spark-abc"), 9, () -> "pod-7");
    assertEquals("7", id.summaryFields().get("executor_id"));
    assertEquals("spark-abc", id.summaryFields().get("app_id"));
    assertEquals("pod-7", id.summaryFields().get("host"));
    assertEquals(Paths.get("/o/spark-abc/executor-7"), id.outputFolder(Paths.get("/o")));
  }

  @Test
  void driverKeepsTheConfiguredFolder() {
    WorkerIdentity id = WorkerIdentity.detect("org.apache.spark.deploy.SparkSubmit --master spark://h:7077"
        + " --class Main app.jar", Map.of(), 11, () -> "h");
    assertFalse(id.isExecutor());
    assertEquals("driver", id.summaryFields().get("role"));
    assertEquals("driver", id.resourceAttributes().get("spark.role"));
    assertEquals(Paths.get("/o"), id.outputFolder(Paths.get("/o")));
  }

  @Test
  void aDriverInClusterDeployModeIsTheDriver() {
    for (String command : java.util.List.of(
        "org.apache.spark.deploy.worker.DriverWrapper spark://Worker@10.0.0.5:40111 /w/app.jar io.x.Train --epochs 2",
        "org.apache.spark.deploy.yarn.ApplicationMaster --class io.x.Train --jar app.jar")) {
      WorkerIdentity id = WorkerIdentity.detect(command, Map.of(), 12, () -> "w5");
      assertTrue(id.isDriver(), command);
      assertEquals("w5", id.resourceAttributes().get("host.name"), command);
    }
    assertFalse(WorkerIdentity.detect("org.apache.spark.deploy.worker.Worker spark://m:7077", Map.of(), 13,
        () -> "w5").isDriver(), "the worker daemon itself is not a driver");
  }

  @Test
  void ordinaryJvmAddsNothing() {
    WorkerIdentity id = WorkerIdentity.detect("com.example.Train --epochs 3", Map.of(), 5, () -> {
      throw new AssertionError("an ordinary JVM's host name is never read");
    });
    assertTrue(id.isNone());
    assertTrue(id.summaryFields().isEmpty());
    assertTrue(id.resourceAttributes().isEmpty());
    assertEquals(Paths.get("/o"), id.outputFolder(Paths.get("/o")));
  }

  @Test
  void idsCannotClimbOutOfTheOutputFolder() {
    WorkerIdentity id = WorkerIdentity.detect("org.apache.spark.executor.CoarseGrainedExecutorBackend"
        + " --executor-id ../x --app-id ..", Map.of(), 1, () -> "h");
    assertEquals(Paths.get("/o/_/executor-.._x"), id.outputFolder(Paths.get("/o")));
  }

  @Test
  void theQuickNoIsGivenOnlyWhereTheFullReadingSaysNone() {
    String[] commands = {"", "  ", "io.mltrace.examples.djl.MlpTraining --steps 3", "/opt/job.jar", STANDALONE_EXECUTOR,
        " org.apache.spark.deploy.SparkSubmit --master local x.jar", "org.apache.spark.deploy.worker.DriverWrapper a",
        "org.apache.spark.deploy.yarn.ApplicationMaster --class X", "org.apache.spark.repl.Main",
        "com.acme.Main org.apache.spark.deploy.SparkSubmit"};
    java.util.List<Map<String, String>> envs = java.util.List.of(Map.of(), Map.of("SPARK_EXECUTOR_ID", " "),
        Map.of("SPARK_EXECUTOR_ID", "3"), Map.of("SPARK_APPLICATION_ID", "app-1"));
    for (String command : commands) {
      for (Map<String, String> env : envs) {
        boolean none = WorkerIdentity.detect(command, env, 1, () -> "h") == WorkerIdentity.NONE;
        if (!WorkerIdentity.mayBeSpark(command, env)) {
          assertTrue(none, command + " " + env);
        }
      }
    }
    assertFalse(WorkerIdentity.mayBeSpark("io.mltrace.examples.djl.MlpTraining", Map.of()));
    assertTrue(WorkerIdentity.mayBeSpark(STANDALONE_EXECUTOR, Map.of()));
    assertTrue(WorkerIdentity.mayBeSpark("com.acme.Main", Map.of("SPARK_EXECUTOR_ID", "3")));
  }
}
