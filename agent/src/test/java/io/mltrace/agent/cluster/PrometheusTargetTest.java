package io.mltrace.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file Prometheus's file-based discovery reads: the endpoint, and the worker's labels for every series. */
class PrometheusTargetTest {
  @TempDir
  Path dir;

  @Test
  void anExecutorAnnouncesItsEndpointUnderItsHostNameWithItsWorkerLabels() throws Exception {
    WorkerIdentity id = WorkerIdentity.detect("org.apache.spark.executor.CoarseGrainedExecutorBackend"
        + " --executor-id 3 --hostname 10.0.0.7 --app-id app-1", Map.of(), 4242, () -> "m");
    Path sd = dir.resolve("targets");
    PrometheusTarget t = PrometheusTarget.announce(sd, "0.0.0.0", 40123, id.host(), id.prometheusLabels(99));
    JsonNode group = new ObjectMapper().readTree(t.file().toFile());
    assertEquals(1, group.size());
    assertEquals("10.0.0.7:40123", group.get(0).get("targets").get(0).asText(),
        "bound to every interface: announced under the worker's host name");
    assertEquals(Map.of("worker", "3", "app_id", "app-1", "role", "executor", "pid", "4242"),
        new ObjectMapper().convertValue(group.get(0).get("labels"), Map.class));
    assertTrue(t.file().getFileName().toString().matches("mltrace-app-1-3-4242\\.json"), t.file()::toString);
    try (var files = Files.list(sd)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
    t.close();
    assertFalse(Files.exists(t.file()));
  }

  @Test
  void twoJvmsOfOneMachineWriteTwoFilesAndAnIpv6HostIsBracketed() throws Exception {
    Map<String, String> a = WorkerIdentity.NONE.prometheusLabels(11);
    Map<String, String> b = WorkerIdentity.NONE.prometheusLabels(12);
    assertEquals("jvm-11", a.get("worker"));
    PrometheusTarget first = PrometheusTarget.announce(dir, "127.0.0.1", 9001, "", a);
    PrometheusTarget second = PrometheusTarget.announce(dir, "::1", 9002, "", b);
    assertFalse(first.file().equals(second.file()));
    assertEquals("[::1]:9002", new ObjectMapper().readTree(second.file().toFile()).get(0).get("targets").get(0)
        .asText());
  }
}
