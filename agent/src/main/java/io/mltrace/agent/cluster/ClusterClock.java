package io.mltrace.agent.cluster;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Each worker's timeline on the driver's clock, measured by the application itself rather than trusted to NTP: the
 * driver's agent answers small UDP probes with its {@code System.nanoTime()}, and each executor's agent keeps, per
 * round of probes, the answer with the shortest round trip: offset = driver time − the probe's midpoint, within
 * half that round trip. Rounds run at start and every minute (a monotonic clock drifts by microseconds per second
 * between machines). The offset goes in {@code summary.json} ({@code clock}), and {@code mltrace cluster} shifts each
 * worker's trace onto the driver's clock with it.
 *
 * <p>How an executor finds the driver: its host from the executor's {@code --driver-url}, the port through Spark
 * itself: the driver's agent sets the system property {@code spark.executorEnv.MLTRACE_CLOCK_PORT} in premain, before
 * the application makes its {@code SparkConf} (which takes every {@code spark.*} system property), so Spark hands the
 * variable to every executor it launches.
 */
public final class ClusterClock implements AutoCloseable {
  /** The environment variable an executor reads the driver's port from. */
  public static final String PORT_ENV = "MLTRACE_CLOCK_PORT";
  static final String PORT_PROPERTY = "spark.executorEnv." + PORT_ENV;
  /** A JVM that neither serves nor probes. */
  public static final ClusterClock NONE = new ClusterClock(null, null);

  private final ClockServer server;
  private final ClockProbe probe;
  /** This JVM's own epoch ns minus {@link System#nanoTime()}, read once: until the driver's is known. */
  private final long ownEpochMinusNanoTime = io.mltrace.collector.WallClock.epochMinusNanoTime();

  ClusterClock(ClockServer server, ClockProbe probe) {
    this.server = server;
    this.probe = probe;
  }


  /**
   * The wall clock this JVM's spans are stamped with over OTLP, as epoch ns minus {@link System#nanoTime()}, read
   * for every span: on the driver its own, fixed when its clock server started; on an executor, once a probe was
   * answered, the driver's mapped through the measured offset (wall = t + offset + the driver's), so that one
   * Jaeger trace of an iteration holds every worker's spans on the driver's clock, whatever NTP says on each host;
   * before that, and outside a cluster, this JVM's own.
   */
  public LongSupplier epochMinusNanoTime() {
    if (server != null) {
      long driver = server.epochMinusNanoTime;
      return () -> driver;
    }
    ClockProbe p = probe;
    long own = ownEpochMinusNanoTime;
    if (p == null) {
      return () -> own;
    }
    return () -> {
      ClockProbe.Offset o = p.latest();
      return o == null || !o.driverWallKnown() ? own : o.driverEpochMinusNanoTime() + o.offsetNs();
    };
  }

  /**
   * Starts what this JVM's role needs: the driver serves (and publishes its port to the executors Spark launches), an
   * executor whose environment names the port probes the driver; anything else does nothing. Never throws: a
   * failure is one line on {@code err}, and the timelines stay unaligned.
   */
  public static ClusterClock start(WorkerIdentity worker, Map<String, String> env, PrintStream err) {
    try {
      if (worker.isDriver()) {
        ClockServer s = ClockServer.start(0, System::nanoTime, io.mltrace.collector.WallClock.epochMinusNanoTime());
        if (System.getProperty(PORT_PROPERTY) == null) {
          System.setProperty(PORT_PROPERTY, Integer.toString(s.port()));
        }
        return new ClusterClock(s, null);
      }
      String port = env.getOrDefault(PORT_ENV, "").trim();
      if (worker.isExecutor() && (port.isEmpty() || worker.driverHost().isEmpty())) {
        err.println("mltrace: no clock to align this executor's timeline with (" + (port.isEmpty() ? PORT_ENV
            + " unset: the driver runs without the agent, or its SparkConf does not load the spark.* system properties"
            : "no --driver-url") + "); mltrace cluster keeps its own clock");
        return NONE;
      }
      if (worker.isExecutor()) {
        InetSocketAddress driver = new InetSocketAddress(worker.driverHost(), Integer.parseInt(port));
        ClockProbe p = new ClockProbe(driver, System::nanoTime, ClockProbe.PROBES_PER_ROUND,
            ClockProbe.ROUND_EVERY_MILLIS, err);
        p.start();
        return new ClusterClock(null, p);
      }
    } catch (IOException | RuntimeException e) {
      err.println("mltrace: the cluster clock is off (" + e + "); workers' timelines are not aligned to the driver");
    }
    return NONE;
  }

  /**
   * summary.json's {@code clock} object: on the driver the reference itself (offset 0); on an executor the latest
   * round's offset to the driver and its error bound, once a probe was answered; empty otherwise.
   */
  public Map<String, Object> summaryFields() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (server != null) {
      m.put("reference", "driver");
      m.put("offset_ns", 0L);
      m.put("error_ns", 0L);
      m.put("port", (long) server.port());
    } else if (probe != null) {
      ClockProbe.Offset o = probe.latest();
      if (o != null) {
        m.put("reference", "driver");
        m.put("offset_ns", o.offsetNs());
        m.put("error_ns", o.errorNs());
        m.put("rounds", (long) o.rounds());
        m.put("answered", (long) o.answered());
        m.put("drift_ns", o.driftNs());
      }
    }
    return Collections.unmodifiableMap(m);
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (probe != null) {
      probe.close();
    }
  }

  /**
   * The datagrams: a probe is MAGIC and its sequence number; the answer adds the driver's clock and its wall clock's
   * mapping (epoch ns minus nanoTime, fixed at the server's start). An answer of {@link #ANSWER_BYTES_CLOCK_ONLY}
   * (a driver's agent of the first version) gives the offset only.
   */
  static final int MAGIC = 0x4d4c5443; // "MLTC"
  static final int PROBE_BYTES = 12;
  static final int ANSWER_BYTES = 28;
  static final int ANSWER_BYTES_CLOCK_ONLY = 20;

  /** The driver's side: one daemon thread answering probes until closed. */
  static final class ClockServer {
    private final DatagramSocket socket;
    private final LongSupplier clock;
    final long epochMinusNanoTime;
    private volatile boolean closed;

    private ClockServer(DatagramSocket socket, LongSupplier clock, long epochMinusNanoTime) {
      this.socket = socket;
      this.clock = clock;
      this.epochMinusNanoTime = epochMinusNanoTime;
    }

    /**
     * Binds {@code port} (0: a free one) on every interface and answers on thread {@code mltrace-clock}, with
     * {@code clock} and {@code epochMinusNanoTime}, the wall clock's mapping onto it.
     */
    static ClockServer start(int port, LongSupplier clock, long epochMinusNanoTime) throws IOException {
      ClockServer s = new ClockServer(new DatagramSocket(port), clock, epochMinusNanoTime);
      Thread t = new Thread(s::serve, "mltrace-clock");
      t.setDaemon(true);
      t.start();
      return s;
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      byte[] in = new byte[64];
      byte[] out = new byte[ANSWER_BYTES];
      DatagramPacket request = new DatagramPacket(in, in.length);
      while (!closed) {
        try {
          request.setLength(in.length);
          socket.receive(request);
          long now = clock.getAsLong();
          ByteBuffer b = ByteBuffer.wrap(in, 0, request.getLength());
          if (request.getLength() != PROBE_BYTES || b.getInt() != MAGIC) {
            continue; // not ours: no answer
          }
          long sequence = b.getLong();
          ByteBuffer.wrap(out).putInt(MAGIC).putLong(sequence).putLong(now).putLong(epochMinusNanoTime);
          socket.send(new DatagramPacket(out, out.length, request.getSocketAddress()));
        } catch (IOException | RuntimeException e) {
          if (closed) {
            return;
          }
          // One bad datagram or a transient send error: keep answering the others.
        }
      }
    }

    void close() {
      closed = true;
      socket.close();
    }
  }

  /** The executor's side: rounds of probes on a daemon thread; the latest round's best answer is kept. */
  static final class ClockProbe {
    static final int PROBES_PER_ROUND = 16;
    static final long ROUND_EVERY_MILLIS = 60_000;
    static final int ANSWER_WAIT_MILLIS = 200;

    /**
     * An offset (driver clock − this clock) within ± errorNs; {@code driftNs}: its change since the first round;
     * the driver's wall clock mapping (epoch ns minus its nanoTime) where its answer carried one.
     */
    record Offset(long offsetNs, long errorNs, int rounds, int answered, long driftNs, boolean driverWallKnown,
        long driverEpochMinusNanoTime) {
    }

    private final InetSocketAddress driver;
    private final LongSupplier clock;
    private final int probesPerRound;
    private final long roundEveryMillis;
    private final PrintStream err;
    private final DatagramSocket socket;
    private volatile Offset latest;
    private volatile boolean closed;
    private long sequence;
    private int rounds;
    private int answered;
    private long firstOffset;
    private boolean warned;
    /** The driver's wall clock mapping, from its answers (fixed at its server's start). */
    private long driverWall;
    private boolean wallKnown;

    ClockProbe(InetSocketAddress driver, LongSupplier clock, int probesPerRound, long roundEveryMillis,
        PrintStream err) throws IOException {
      this.driver = driver;
      this.clock = clock;
      this.probesPerRound = probesPerRound;
      this.roundEveryMillis = roundEveryMillis;
      this.err = err;
      this.socket = new DatagramSocket();
      socket.setSoTimeout(ANSWER_WAIT_MILLIS);
    }

    void start() {
      Thread t = new Thread(this::run, "mltrace-clock");
      t.setDaemon(true);
      t.start();
    }

    Offset latest() {
      return latest;
    }

    private void run() {
      while (!closed) {
        try {
          round();
          Thread.sleep(roundEveryMillis);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          return; // never worth more than an unaligned timeline
        }
      }
    }

    /** Probes the driver {@code probesPerRound} times, one at a time, and keeps the answer of the shortest trip. */
    private void round() {
      long bestRtt = Long.MAX_VALUE;
      long bestOffset = 0;
      int got = 0;
      byte[] out = new byte[PROBE_BYTES];
      byte[] in = new byte[64];
      for (int i = 0; i < probesPerRound && !closed; i++) {
        long seq = ++sequence;
        ByteBuffer.wrap(out).putInt(MAGIC).putLong(seq);
        try {
          long sent = clock.getAsLong();
          socket.send(new DatagramPacket(out, out.length, driver));
          DatagramPacket answer = new DatagramPacket(in, in.length);
          long driverNs;
          while (true) { // a late answer to an earlier probe is skipped
            answer.setLength(in.length);
            socket.receive(answer);
            int length = answer.getLength();
            ByteBuffer b = ByteBuffer.wrap(in, 0, length);
            if ((length == ANSWER_BYTES || length == ANSWER_BYTES_CLOCK_ONLY) && b.getInt() == MAGIC
                && b.getLong() == seq) {
              driverNs = b.getLong();
              if (length == ANSWER_BYTES) {
                driverWall = b.getLong();
                wallKnown = true;
              }
              break;
            }
          }
          long received = clock.getAsLong();
          got++;
          long rtt = received - sent;
          if (rtt < bestRtt) {
            bestRtt = rtt;
            bestOffset = driverNs - (sent + rtt / 2);
          }
        } catch (SocketTimeoutException lost) {
          // A lost probe or answer: the others decide.
        } catch (IOException e) {
          break;
        }
      }
      if (got == 0) {
        if (!warned) {
          warned = true;
          err.println("mltrace: no answer from the driver's clock at " + driver + "; this worker's timeline is not"
              + " aligned to the driver's");
        }
        return;
      }
      rounds++;
      answered += got;
      if (rounds == 1) {
        firstOffset = bestOffset;
      }
      latest = new Offset(bestOffset, (bestRtt + 1) / 2, rounds, answered, bestOffset - firstOffset, wallKnown,
          driverWall);
    }

    /** Runs one round on the caller's thread (tests). */
    Offset roundNow() {
      round();
      return latest;
    }

    void close() {
      closed = true;
      socket.close();
    }
  }

  /** The driver's address from an executor's {@code --driver-url} ({@code spark://Name@HOST:PORT}); "" if none. */
  static String hostOfDriverUrl(String url) {
    int at = url.lastIndexOf('@');
    int colon = url.lastIndexOf(':');
    if (at < 0 || colon <= at + 1) {
      return "";
    }
    String host = url.substring(at + 1, colon);
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
