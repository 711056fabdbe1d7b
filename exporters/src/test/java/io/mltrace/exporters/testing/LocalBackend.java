package io.mltrace.exporters.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real backend process on 127.0.0.1: started in its own folder, ready when its ready URL answers 200 (bounded
 * wait), stopped by the pid this class started.
 */
public final class LocalBackend implements AutoCloseable {
  public static final Path TOOLS = Paths.get(System.getProperty("mltrace.tools.dir", "../.tools"));
  public static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String name;
  private final Process process;
  private final Path log;

  private LocalBackend(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * {@code n} distinct free loopback ports: all sockets are held open together, so that the OS cannot hand out the
   * same port twice (it may, to consecutive {@link #freePort()} calls).
   */
  public static int[] freePorts(int n) throws IOException {
    ServerSocket[] sockets = new ServerSocket[n];
    int[] ports = new int[n];
    try {
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
    return ports;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * A free loopback port below the kernel's ephemeral range, for an endpoint that a test opens later than it names it:
   * a port from {@link #freePort} lies in that range, and while nothing listens on it any outgoing connection (the
   * job's own attempts to reach the endpoint among them) may take it as its local port, so that opening the endpoint
   * fails with "Address already in use" (a clean-clone CI run of OtelExportersIT's outage test).
   */
  public static int freePortBelowEphemeralRange() throws IOException {
    int low = 32768;
    try {
      String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      low = Integer.parseInt(range[0]);
    } catch (IOException | RuntimeException notLinux) {
      // the usual Linux default
    }
    int span = Math.max(1, low - 20000);
    int start = java.util.concurrent.ThreadLocalRandom.current().nextInt(span);
    for (int i = 0; i < span; i++) {
      int port = 20000 + (start + i) % span;
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // try the next
      }
    }
    throw new IOException("no free port between 20000 and " + low);
  }

  /** An executable built or installed by {@code .ci/setup}; fails with what to run when it is missing. */
  public static Path tool(Path candidate) {
    if (!Files.isExecutable(candidate)) {
      throw new AssertionError(candidate + " is missing: run .ci/setup (./mltrace test runs it) first");
    }
    return candidate;
  }

  public static LocalBackend start(String name, List<String> command, Path dir, String readyUrl, Duration maxWait)
      throws IOException, InterruptedException {
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    LocalBackend b = new LocalBackend(name, p, log);
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError(name + " exited with " + p.exitValue() + ":\n" + b.log());
      }
      try {
        if (get(readyUrl).statusCode() == 200) {
          return b;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    b.close();
    throw new AssertionError(name + " not ready at " + readyUrl + " within " + maxWait + ":\n" + b.log());
  }

  public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public long pid() {
    return process.pid();
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + ")";
  }
}
