package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What holds the model's memory, on real jobs in the production mode, against the analytic sizes of their MLPs:
 * parameters (weights and biases × 4 bytes), gradients (one per trainable parameter) and the optimizer's state
 * (Adam: two moments per parameter; plain SGD: none), in every step from the first.
 */
class ModelMemoryIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path out;

  /** Weights and biases of an MLP inputs-hidden-classes, in float32 bytes. */
  private static long mlpBytes(long inputs, long hidden, long classes) {
    return 4 * (inputs * hidden + hidden + hidden * classes + classes);
  }

  private JsonNode run(String main, List<String> jvmFlags, String... args) throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary", jvmFlags, main, args);
    assertEquals(0, run.exitCode, run::toString);
    return JSON.readTree(out.resolve("summary.json").toFile());
  }

  private static void assertHolders(JsonNode summary, long parameters, long optimizerState, int steps) {
    assertEquals(steps, summary.get("steps").size());
    for (JsonNode step : summary.get("steps")) {
      JsonNode m = step.get("memory");
      assertEquals(parameters, m.path("parameters_bytes").asLong(-1), step::toString);
      assertEquals(parameters, m.path("gradients_bytes").asLong(-1), step::toString);
      assertEquals(optimizerState, m.path("optimizer_state_bytes").asLong(-1), step::toString);
    }
  }

  @Test
  void djlAdamHoldsTwoMomentsPerParameterAndSgdNone() throws Exception {
    long parameters = mlpBytes(784, 32, 10);
    JsonNode adam = run(DjlFoundationIT.MLP, List.of(), "--steps", "70", "--hidden", "32", "--optimizer", "adam");
    assertHolders(adam, parameters, 2 * parameters, 70);
    JsonNode last = adam.get("steps").get(69).get("memory");
    assertTrue(last.get("arrays_live_bytes").asLong() >= 3 * parameters,
        "parameters and Adam's moments are live DJL arrays too: " + last);
    JsonNode sgd = run(DjlFoundationIT.MLP, List.of(), "--steps", "10", "--hidden", "32");
    assertHolders(sgd, parameters, 0, 10);
  }

  @Test
  void dl4jAdamHoldsTwoMomentsPerParameterAndSgdNone() throws Exception {
    long parameters = mlpBytes(784, 128, 10);
    JsonNode adam = run("io.mltrace.examples.dl4j.Dl4jTraining", Dl4jTrace.JVM_FLAGS, "--steps", "70", "--batch",
        "16", "--updater", "adam");
    assertHolders(adam, parameters, 2 * parameters, 70);
    JsonNode sgd = run("io.mltrace.examples.dl4j.Dl4jTraining", Dl4jTrace.JVM_FLAGS, "--steps", "10", "--batch", "16");
    assertHolders(sgd, parameters, 0, 10);
  }
}
