package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the agent writes and serves holds no secret of the job, listens on loopback only, and is created with the
 * user's umask: a training job with secrets planted in its environment, its command line and its OTLP headers.
 */
class SecurityIT {
  private static final String MLP = "io.mltrace.examples.djl.MlpTraining";

  @Test
  void outputsHoldNoPlantedSecretAndEveryEndpointListensOnLoopback(@TempDir Path dir) throws Exception {
    String envSecret = "envsecret" + UUID.randomUUID().toString().replace("-", "");
    String propertySecret = "propsecret" + UUID.randomUUID().toString().replace("-", "");
    String headerSecret = "hdrsecret" + UUID.randomUUID().toString().replace("-", "");
    List<String> secrets = List.of(envSecret, propertySecret, headerSecret);
    Path out = dir.resolve("out");
    int promPort = freePort();
    try (LoopbackHttp otlp = new LoopbackHttp(0, 200);
        TrainingProcess job = JobRun.start("output=" + out + ",report_interval=1,sample_every=5,console=summary"
                + ",prometheus="
                + promPort + ",jfr=" + out.resolve("run.jfr"),
            List.of("-Dapp.db.password=" + propertySecret),
            Map.of("AWS_SECRET_ACCESS_KEY", envSecret, "OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint(),
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL", "1000",
                "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer " + headerSecret),
            "umask 027", MLP, "--steps", "400")) {
      String metrics = scrapeWhileRunning(job, promPort);
      Set<String> listening = listeningAddresses(job.process.pid());
      assertTrue(listening.contains("127.0.0.1:" + promPort), listening + "\n" + job);
      for (String address : listening) {
        assertTrue(address.startsWith("127.") || address.startsWith("[::1]"),
            "every listening socket of the job is on loopback: " + listening);
      }
      assertEquals(0, job.await(180), job::toString);
      job.finalLoss();
      assertFalse(otlp.authorizations.isEmpty(), "the OTLP exports carried the planted header: " + job);
      assertTrue(otlp.authorizations.get(0).contains(headerSecret));

      List<String> where = new ArrayList<>();
      for (String secret : secrets) {
        if (metrics.contains(secret)) {
          where.add("/metrics");
        }
        if (job.stdout().contains(secret) || job.stderr().contains(secret)) {
          where.add("console");
        }
      }
      Set<String> written = new HashSet<>();
      try (Stream<Path> files = Files.walk(out)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
          // umask 027: the agent's files and folders keep no bit for others and no write for the group.
          assertFalse(perms.contains(PosixFilePermission.OTHERS_WRITE)
              || perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_WRITE),
              f + " " + perms);
          if (!Files.isRegularFile(f)) {
            continue;
          }
          written.add(f.getFileName().toString());
          String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          for (String secret : secrets) {
            if (text.contains(secret)) {
              where.add(f.getFileName().toString());
            }
          }
        }
      }
      assertTrue(written.containsAll(List.of("summary.json", "trace.json", "report.html", "run.jfr")),
          written::toString);
      // JFR may store a string in another encoding than the raw bytes above: read every event's fields too.
      try (RecordingFile jfr = new RecordingFile(out.resolve("run.jfr"))) {
        while (jfr.hasMoreEvents()) {
          RecordedEvent e = jfr.readEvent();
          String text = e.toString();
          for (String secret : secrets) {
            if (text.contains(secret)) {
              where.add("run.jfr event " + e.getEventType().getName());
            }
          }
        }
      }
      assertTrue(where.isEmpty(), "planted secrets found in: " + where);
    }
  }

  /** Waits for the Prometheus endpoint of the running job and returns one scrape. */
  private static String scrapeWhileRunning(TrainingProcess job, int port) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!job.process.isAlive()) {
        throw new AssertionError("the job ended before its metrics endpoint answered: " + job);
      }
      try {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/metrics").openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(5000);
        if (c.getResponseCode() == 200) {
          String body = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (body.contains("ml_steps_total")) {
            return body;
          }
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no metrics endpoint: " + job);
  }

  /** The local addresses of the process's listening TCP sockets, from /proc (its socket inodes matched). */
  static Set<String> listeningAddresses(long pid) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Paths.get("/proc", String.valueOf(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException closed) {
          // the descriptor closed meanwhile
        }
      }
    }
    Set<String> listening = new HashSet<>();
    for (String table : List.of("tcp", "tcp6")) {
      Path f = Paths.get("/proc", String.valueOf(pid), "net", table);
      if (!Files.exists(f)) {
        continue;
      }
      for (String line : Files.readAllLines(f)) {
        String[] c = line.trim().split("\\s+");
        if (c.length > 9 && c[3].equals("0A") && inodes.contains(c[9])) { // 0A: LISTEN
          listening.add(address(c[1]));
        }
      }
    }
    return listening;
  }

  /** {@code 0100007F:1F90} (little-endian IPv4) or its 32-digit IPv6 form, as {@code host:port}. */
  private static String address(String hex) {
    String[] hp = hex.split(":");
    int port = Integer.parseInt(hp[1], 16);
    String h = hp[0];
    if (h.length() == 8) {
      return Integer.parseInt(h.substring(6, 8), 16) + "." + Integer.parseInt(h.substring(4, 6), 16) + "."
          + Integer.parseInt(h.substring(2, 4), 16) + "." + Integer.parseInt(h.substring(0, 2), 16) + ":" + port;
    }
    if (h.equals("00000000000000000000000001000000")) {
      return "[::1]:" + port;
    }
    if (h.startsWith("0000000000000000FFFF0000")) { // an IPv4-mapped address
      return address(h.substring(24) + ":" + hp[1]);
    }
    return "[" + h + "]:" + port;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
