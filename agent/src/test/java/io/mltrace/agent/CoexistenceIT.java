package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.exporters.testing.Jaeger;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mltrace next to the OpenTelemetry Java agent (Maven Central's {@code opentelemetry-javaagent}, copied by the
 * build) on an application that ships its own, older OpenTelemetry SDK and Byte Buddy: in both {@code -javaagent}
 * orders, and attached after the OpenTelemetry agent. Both agents work (the OpenTelemetry agent logs the
 * application's span; mltrace records every step), the application's own libraries work, no {@code VerifyError} or
 * class clash, and the training result is the one without any agent.
 */
class CoexistenceIT {
  private static final Path COEXIST = Paths.get(System.getProperty("mltrace.coexist.dir", "target/coexist"));
  private static final Path OTEL_AGENT = COEXIST.resolve("opentelemetry-javaagent.jar").toAbsolutePath();
  private static final int STEPS = 30;
  /** The OpenTelemetry agent prints spans to stderr (its logging exporter); nothing leaves the machine. */
  private static final Map<String, String> OTEL_ENV = Map.of("OTEL_TRACES_EXPORTER", "logging",
      "OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none", "OTEL_SERVICE_NAME", "coexist-app");

  @BeforeEach
  void appLibraries() throws Exception {
    try (Stream<Path> jars = Files.list(COEXIST.resolve("app"))) {
      ChildJvm.EXTRA_CLASSPATH.set(jars.map(p -> p.toAbsolutePath().toString())
          .collect(Collectors.joining(File.pathSeparator)));
    }
  }

  @AfterEach
  void clear() {
    ChildJvm.EXTRA_CLASSPATH.remove();
  }

  @Test
  void bothAgentsWorkInEitherOrderBesideTheApplicationsOwnLibraries(@TempDir Path dir) throws Exception {
    String alone = run(dir.resolve("no-agent"), List.of(), false);
    String mltrace = "-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath() + "=console=summary,output=";
    String otel = "-javaagent:" + OTEL_AGENT;
    String otelFirst = run(dir.resolve("otel-first"), List.of(otel, mltrace + dir.resolve("otel-first")), true);
    String mltraceFirst = run(dir.resolve("mltrace-first"), List.of(mltrace + dir.resolve("mltrace-first"), otel),
        true);
    assertEquals(alone, otelFirst, "the same training result");
    assertEquals(alone, mltraceFirst, "the same training result");
  }

  @Test
  void mltraceAttachesToAJobThatRunsTheOpenTelemetryAgent(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("attached");
    try (TrainingProcess job = JobRun.start(null, List.of("-javaagent:" + OTEL_AGENT), OTEL_ENV, "",
        OwnLibrariesApp.class.getName(), "--steps", "100000", "--batch", "8", "--hidden", "16",
        "--dataset-batches", "100")) {
      job.awaitFrame("ai.djl.training.EasyTrain", 120);
      Cli attach = Cli.run(job.javaHome, "attach", String.valueOf(job.pid()), "output=" + out, "report_interval=1");
      assertEquals(0, attach.exitCode, attach::toString);
      ObjectMapper json = new ObjectMapper();
      long deadline = System.nanoTime() + 60_000_000_000L;
      long steps = 0;
      while (steps < 1 && System.nanoTime() < deadline) {
        Thread.sleep(500);
        if (Files.exists(out.resolve("summary.json"))) {
          steps = json.readTree(out.resolve("summary.json").toFile()).get("totals").get("steps").asLong();
        }
      }
      assertTrue(steps >= 1, "mltrace records steps after attaching: " + steps + "\n" + job);
      assertTrue(job.process.isAlive(), job::toString);
      assertNoClash(job.stderr());
      assertTrue(job.stderr().contains("opentelemetry-javaagent - version: "), job::toString);
    }
  }

  /**
   * A training job started inside a traced request (the application's span, held by the OpenTelemetry agent's
   * context): every step span mltrace exports to a real Jaeger belongs to the request's trace, as a child of the
   * request's span.
   */
  @Test
  void stepSpansJoinTheTraceOfTheRequestThatStartedTraining(@TempDir Path dir) throws Exception {
    try (Jaeger jaeger = Jaeger.start(Files.createDirectories(dir.resolve("jaeger")), 0)) {
      List<String> flags = List.of("-javaagent:" + OTEL_AGENT, "-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath()
          + "=console=summary,sample_every=1,html_report=false,output=" + dir.resolve("out")
          + ",otlp_endpoint=http://127.0.0.1:" + jaeger.otlpGrpcPort, "-Xmx512m");
      try (TrainingProcess job = JobRun.start(null, flags, OTEL_ENV, "", OwnLibrariesApp.class.getName(), "--steps",
          String.valueOf(STEPS))) {
        assertEquals(0, job.await(180), job::toString);
        Matcher request = Pattern.compile("'app-request' : ([0-9a-f]{32}) ([0-9a-f]{16})").matcher(job.stderr());
        assertTrue(request.find(), "the OpenTelemetry agent logged the request span: " + job);
        JsonNode traces = jaeger.traces("coexist-app", 1);
        int steps = 0;
        for (JsonNode trace : traces) {
          for (JsonNode span : trace.get("spans")) {
            if (!"step".equals(span.get("operationName").asText())) {
              continue;
            }
            steps++;
            assertEquals(request.group(1), span.get("traceID").asText(), "the step is in the request's trace");
            JsonNode parent = span.get("references").get(0);
            assertEquals(request.group(2), parent.get("spanID").asText(), "the step is a child of the request");
          }
        }
        assertEquals(STEPS, steps, "every step span, in the request's trace: " + traces);
      }
    }
  }

  /** Runs the application; returns its final loss after checking both agents and its own libraries worked. */
  private static String run(Path out, List<String> agents, boolean withAgents) throws Exception {
    List<String> flags = new ArrayList<>(agents);
    flags.add("-Xmx512m");
    try (TrainingProcess job = JobRun.start(null, flags, OTEL_ENV, "", OwnLibrariesApp.class.getName(), "--steps",
        String.valueOf(STEPS))) {
      assertEquals(0, job.await(180), job::toString);
      String versions = System.getProperty("mltrace.coexist.app.versions", "");
      assertTrue(job.stdout().contains("app byte-buddy byte-buddy.jar: made by the application's Byte Buddy"),
          job::toString);
      assertTrue(job.stdout().contains("app opentelemetry opentelemetry-sdk-trace.jar: exported 1"
          + " app-own-sdk-span"), "the application's own SDK (" + versions + ") works: " + job);
      assertNoClash(job.stderr());
      if (withAgents) {
        assertTrue(job.stderr().contains("opentelemetry-javaagent - version: "), job::toString);
        assertTrue(job.stderr().contains("'app-request'"), "the OpenTelemetry agent exported the app's span: "
            + job);
        long steps = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("totals").get("steps")
            .asLong();
        assertEquals(STEPS, steps, "mltrace recorded every step");
      }
      return job.finalLoss();
    }
  }

  private static void assertNoClash(String stderr) {
    for (String bad : List.of("VerifyError", "LinkageError", "NoSuchMethodError", "ClassCastException",
        "NoClassDefFoundError", "mltrace: agent disabled", "Exception in thread")) {
      assertTrue(!stderr.contains(bad), bad + " in:\n" + stderr);
    }
  }
}
