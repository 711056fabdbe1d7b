package io.mltrace.exporters.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

/**
 * Debian's Prometheus ({@code .ci/setup} installs it), on a free loopback port with its data under the test's
 * folder, scraping one fixed target or whatever JVMs announce themselves in a file-discovery folder.
 */
public final class Prometheus implements AutoCloseable {
  public static final Path BINARY = Paths.get("/usr/bin/prometheus");
  static final ObjectMapper JSON = new ObjectMapper();

  /** The HTTP API's base URL, {@code http://127.0.0.1:<port>}. */
  public final String api;
  public final LocalBackend process;

  private Prometheus(String api, LocalBackend process) {
    this.api = api;
    this.process = process;
  }

  /** Scrapes {@code target} ({@code host:port}) every {@code interval} (Prometheus's duration syntax: 1s, 250ms). */
  public static Prometheus scraping(Path dir, String target, String interval) throws IOException,
      InterruptedException {
    return start(dir, interval, List.of("    static_configs:", "      - targets: ['" + target + "']"));
  }

  /** Scrapes every target announced by a {@code mltrace-*.json} file in {@code targets} (file-based discovery). */
  public static Prometheus discovering(Path dir, Path targets, String interval) throws IOException,
      InterruptedException {
    return start(dir, interval, List.of("    file_sd_configs:", "      - files: ['" + targets + "/mltrace-*.json']",
        "        refresh_interval: 1s"));
  }

  private static Prometheus start(Path dir, String interval, List<String> targets) throws IOException,
      InterruptedException {
    int port = LocalBackend.freePort();
    Path config = dir.resolve("prometheus.yml");
    StringBuilder yml = new StringBuilder(String.join("\n", "global:", "  scrape_interval: " + interval,
        "scrape_configs:", "  - job_name: mltrace", ""));
    for (String line : targets) {
      yml.append(line).append('\n');
    }
    Files.writeString(config, yml);
    String api = "http://127.0.0.1:" + port;
    return new Prometheus(api, LocalBackend.start("prometheus", List.of(LocalBackend.tool(BINARY).toString(),
        "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("prometheus-data"),
        "--web.listen-address=127.0.0.1:" + port), dir, api + "/-/ready", Duration.ofSeconds(30)));
  }

  /** An instant query's {@code data.result} (an empty array when the query failed or matched nothing). */
  public JsonNode query(String promql) throws IOException, InterruptedException {
    return JSON.readTree(LocalBackend.get(api + "/api/v1/query?query=" + URLEncoder.encode(promql,
        StandardCharsets.UTF_8)).body()).path("data").path("result");
  }

  public String log() {
    return process.log();
  }

  @Override
  public void close() throws InterruptedException {
    process.close();
  }
}
