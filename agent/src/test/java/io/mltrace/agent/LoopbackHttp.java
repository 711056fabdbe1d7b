package io.mltrace.agent;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 that takes OTLP/HTTP exports the way a sick backend does: after a delay, with
 * the status it is told to answer. Counts the requests and keeps each request's {@code Authorization} header.
 */
final class LoopbackHttp implements AutoCloseable {
  private final HttpServer server;
  final AtomicInteger requests = new AtomicInteger();
  final List<String> authorizations = new CopyOnWriteArrayList<>();

  LoopbackHttp(long delayMillis, int status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "loopback-otlp");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      requests.incrementAndGet();
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (auth != null) {
        authorizations.add(auth);
      }
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(status, -1); // an empty body: an empty Export*ServiceResponse
      exchange.close();
    });
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
