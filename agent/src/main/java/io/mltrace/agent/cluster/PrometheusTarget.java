package io.mltrace.agent.cluster;

import io.mltrace.collector.StepSink;
import io.mltrace.exporters.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * This JVM's scrape endpoint announced to Prometheus's file-based service discovery: one JSON file in a folder
 * Prometheus watches ({@code file_sd_configs: [{files: ['DIR/mltrace-*.json']}]}), holding the endpoint and the
 * worker's labels, which Prometheus then puts on every series it scrapes from here. Why a file: executors sharing a
 * machine each take a free port ({@code prometheus=HOST:0}), so no static list can name them, and the {@code worker}
 * label must come from somewhere that knows which executor owns which port. Written whole (a temporary file renamed
 * into place, so Prometheus never reads half of it) when the endpoint starts, deleted when the collector closes
 * (the JVM's exit): Prometheus then stops scraping it. A JVM killed without its shutdown hooks leaves its file; its
 * target shows as down.
 */
public final class PrometheusTarget implements StepSink {
  private final Path file;

  private PrometheusTarget(Path file) {
    this.file = file;
  }

  /**
   * Writes the file for the endpoint {@code host:port} into {@code dir} (created if missing) and returns the sink
   * that deletes it at close. {@code bindHost} {@code 0.0.0.0} or {@code ::} (every interface) announces
   * {@code workerHost}, the name others reach this machine by.
   */
  public static PrometheusTarget announce(Path dir, String bindHost, int port, String workerHost,
      Map<String, String> labels) throws IOException {
    String host = bindHost.equals("0.0.0.0") || bindHost.equals("::") || bindHost.equals("[::]")
        ? (workerHost.isEmpty() ? "localhost" : workerHost) : bindHost;
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]"; // an IPv6 literal in host:port
    }
    StringBuilder json = Json.string(new StringBuilder("[{\"targets\":["), host + ":" + port).append("],\"labels\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      Json.string(Json.string(json.append(first ? "" : ","), e.getKey()).append(':'), e.getValue());
      first = false;
    }
    json.append("}}]\n");
    Files.createDirectories(dir);
    String name = "mltrace-" + safe(labels.getOrDefault("app_id", "")) + "-" + safe(labels.get("worker")) + "-"
        + safe(labels.get("pid")) + ".json";
    Path file = dir.resolve(name.replace("--", "-"));
    Path tmp = Files.createTempFile(dir, ".mltrace-", ".tmp");
    try {
      Files.writeString(tmp, json, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return new PrometheusTarget(file);
  }

  /** The file Prometheus reads. */
  public Path file() {
    return file;
  }

  @Override
  public void onStep(io.mltrace.collector.Step step) {
    // Nothing per step: the file only says where to scrape.
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // The target then shows as down in Prometheus: nothing worse.
    }
  }

  private static String safe(String s) {
    return s == null ? "" : s.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
