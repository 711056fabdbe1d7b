package io.mltrace.exporters.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback port that starts listening when a test says so and passes every connection through to a backend that is
 * already running: an endpoint that "comes up" at a chosen moment, within milliseconds, where starting the backend
 * itself then would take seconds on a busy machine (and let a short job end before it listened).
 */
public final class TcpForwarder implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private TcpForwarder(ServerSocket server, int targetPort) {
    this.server = server;
    Thread accept = new Thread(() -> acceptLoop(targetPort), "forward-" + server.getLocalPort());
    accept.setDaemon(true);
    accept.start();
  }

  /** Listens on {@code port} of 127.0.0.1 from now on and forwards to {@code targetPort} there. */
  public static TcpForwarder open(int port, int targetPort) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    return new TcpForwarder(s, targetPort);
  }

  private void acceptLoop(int targetPort) {
    while (!server.isClosed()) {
      try {
        Socket in = server.accept();
        Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        in.setTcpNoDelay(true);
        out.setTcpNoDelay(true);
        open.add(in);
        open.add(out);
        pipe(in, out);
        pipe(out, in);
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream is = from.getInputStream(); OutputStream os = to.getOutputStream()) {
        for (int n; (n = is.read(buf)) >= 0; ) {
          os.write(buf, 0, n);
          os.flush();
        }
      } catch (IOException ended) {
        // one side closed: the other is closed below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "forward-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
