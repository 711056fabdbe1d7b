package io.mltrace.agent.cli.attach;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which JVMs {@code attach --app} takes for an application's executors: by the exact {@code --app-id} argument. */
class ExecutorMatchTest {
  static final String EXECUTOR = "org.apache.spark.executor.CoarseGrainedExecutorBackend --driver-url"
      + " spark://CoarseGrainedScheduler@10.0.0.5:41235 --executor-id 1 --hostname 10.0.0.6 --cores 2"
      + " --app-id app-20261204213000-0003 --worker-url spark://Worker@10.0.0.6:40123 --resourceProfileId 0";

  @Test
  void anExecutorIsTakenByItsApplicationsExactId() {
    assertTrue(Commands.isExecutorOf(EXECUTOR, "app-20261204213000-0003"));
    assertFalse(Commands.isExecutorOf(EXECUTOR, "app-20261204213000-000"), "a prefix of the id is another id");
    assertFalse(Commands.isExecutorOf(EXECUTOR, "app-20261204213000-00031"));
    assertFalse(Commands.isExecutorOf("org.apache.spark.deploy.SparkSubmit --class Job app.jar"
        + " app-20261204213000-0003", "app-20261204213000-0003"), "the id alone, not after --app-id");
    assertFalse(Commands.isExecutorOf("", "app-1"));
    assertFalse(Commands.isExecutorOf("Main --app-id", "app-1"), "a flag without its value");
  }
}
