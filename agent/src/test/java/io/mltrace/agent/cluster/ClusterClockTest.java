package io.mltrace.agent.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The driver's clock server and an executor's probe over real UDP on loopback; the executor's clock is this JVM's
 * {@code System.nanoTime()} moved by a known amount, so the offset it must measure is known exactly.
 */
class ClusterClockTest {
  private static final long SHIFT_NS = 7_300_123_456L;
  /** The driver's wall clock mapping: a host whose wall clock is far from this one's (no NTP). */
  private static final long DRIVER_WALL = io.mltrace.collector.WallClock.epochMinusNanoTime() + 86_400_000_000_000L;

  @Test
  void aProbeMeasuresAKnownOffsetWithinItsErrorBoundAndWellWithinAMillisecond() throws Exception {
    ClusterClock.ClockServer server = ClusterClock.ClockServer.start(0, System::nanoTime, DRIVER_WALL);
    ClusterClock.ClockProbe probe = new ClusterClock.ClockProbe(loopback(server.port()),
        () -> System.nanoTime() + SHIFT_NS, 16, 60_000, new PrintStream(new ByteArrayOutputStream()));
    try {
      ClusterClock.ClockProbe.Offset o = probe.roundNow();
      // driver clock − executor clock = −SHIFT_NS; the measurement is within ± half the best round trip.
      long error = Math.abs(o.offsetNs() + SHIFT_NS);
      assertTrue(error <= o.errorNs() + 1, "off by " + error + " ns, bound " + o.errorNs());
      assertTrue(o.errorNs() < 1_000_000, "loopback round trip under 2 ms: " + o);
      assertEquals(16, o.answered());
      // Its spans are stamped with the driver's wall clock (a day off this host's here): the same instant gives the
      // same epoch ns on both sides, within the offset's bound.
      ClusterClock executor = new ClusterClock(null, probe);
      ClusterClock driver = new ClusterClock(server, null);
      long instant = System.nanoTime();
      long onExecutor = instant + SHIFT_NS + executor.epochMinusNanoTime().getAsLong();
      long onDriver = instant + driver.epochMinusNanoTime().getAsLong();
      assertTrue(Math.abs(onExecutor - onDriver) <= o.errorNs() + 1, "wall clocks " + (onExecutor - onDriver)
          + " ns apart, bound " + o.errorNs());
      ClusterClock.ClockProbe.Offset second = probe.roundNow();
      assertEquals(2, second.rounds());
      assertTrue(Math.abs(second.driftNs()) <= o.errorNs() + second.errorNs() + 1, "no drift: " + second);
    } finally {
      probe.close();
      server.close();
    }
  }

  @Test
  void theServerIgnoresForeignDatagramsAndKeepsAnswering() throws Exception {
    ClusterClock.ClockServer server = ClusterClock.ClockServer.start(0, System::nanoTime, DRIVER_WALL);
    try (DatagramSocket stranger = new DatagramSocket()) {
      stranger.setSoTimeout(300);
      byte[] junk = "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      stranger.send(new DatagramPacket(junk, junk.length, loopback(server.port())));
      byte[] in = new byte[64];
      boolean answered;
      try {
        stranger.receive(new DatagramPacket(in, in.length));
        answered = true;
      } catch (java.net.SocketTimeoutException expected) {
        answered = false;
      }
      assertTrue(!answered, "no answer to a datagram that is not a probe");
      ClusterClock.ClockProbe probe = new ClusterClock.ClockProbe(loopback(server.port()), System::nanoTime, 4,
          60_000, new PrintStream(new ByteArrayOutputStream()));
      try {
        assertEquals(4, probe.roundNow().answered());
      } finally {
        probe.close();
      }
    } finally {
      server.close();
    }
  }

  @Test
  void beforeAnyAnswerAndOutsideAClusterSpansKeepThisJvmsWallClock() throws Exception {
    int closedPort;
    try (DatagramSocket s = new DatagramSocket()) {
      closedPort = s.getLocalPort();
    }
    ClusterClock.ClockProbe probe = new ClusterClock.ClockProbe(loopback(closedPort), System::nanoTime, 1, 60_000,
        new PrintStream(new ByteArrayOutputStream()));
    try {
      probe.roundNow();
      long own = io.mltrace.collector.WallClock.epochMinusNanoTime();
      for (ClusterClock c : new ClusterClock[] {new ClusterClock(null, probe), ClusterClock.NONE}) {
        assertTrue(Math.abs(c.epochMinusNanoTime().getAsLong() - own) < 5_000_000_000L, "this JVM's own");
      }
    } finally {
      probe.close();
    }
  }

  @Test
  void noDriverAnsweringLeavesNoOffsetAndOneLine() throws Exception {
    int closedPort;
    try (DatagramSocket s = new DatagramSocket()) {
      closedPort = s.getLocalPort(); // free once closed: nothing answers there
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ClusterClock.ClockProbe probe = new ClusterClock.ClockProbe(loopback(closedPort), System::nanoTime, 2, 60_000,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      long started = System.nanoTime();
      assertNull(probe.roundNow());
      assertNull(probe.roundNow());
      assertTrue(System.nanoTime() - started < 3_000_000_000L, "each probe waits at most 200 ms");
      String said = err.toString(StandardCharsets.UTF_8);
      assertEquals(1, said.lines().count(), said);
      assertTrue(said.contains("no answer from the driver's clock"), said);
    } finally {
      probe.close();
    }
  }

  @Test
  void theDriverPublishesItsPortToExecutorsAndAnExecutorFindsTheDriverByItsDriverUrl() throws Exception {
    String before = System.getProperty(ClusterClock.PORT_PROPERTY);
    System.clearProperty(ClusterClock.PORT_PROPERTY);
    WorkerIdentity driver = WorkerIdentity.detect("org.apache.spark.deploy.SparkSubmit --master spark://h:7077 x.jar",
        Map.of(), 1, () -> "h");
    ClusterClock served = ClusterClock.start(driver, Map.of(), new PrintStream(new ByteArrayOutputStream()));
    try {
      String port = System.getProperty(ClusterClock.PORT_PROPERTY);
      assertEquals(served.summaryFields().get("port"), Long.parseLong(port), "spark.executorEnv.MLTRACE_CLOCK_PORT");
      assertEquals(0L, served.summaryFields().get("offset_ns"));
      WorkerIdentity executor = WorkerIdentity.detect("org.apache.spark.executor.CoarseGrainedExecutorBackend"
          + " --driver-url spark://CoarseGrainedScheduler@127.0.0.1:40123 --executor-id 1 --hostname 127.0.0.1"
          + " --app-id app-1", Map.of(), 2, () -> "h");
      assertEquals("127.0.0.1", executor.driverHost());
      ClusterClock probing = ClusterClock.start(executor, Map.of(ClusterClock.PORT_ENV, port),
          new PrintStream(new ByteArrayOutputStream()));
      try {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (probing.summaryFields().isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        Map<String, Object> clock = probing.summaryFields();
        assertEquals("driver", clock.get("reference"), clock::toString);
        // One JVM, one clock: the true offset is 0.
        assertTrue(Math.abs((Long) clock.get("offset_ns")) <= (Long) clock.get("error_ns") + 1, clock::toString);
      } finally {
        probing.close();
      }
    } finally {
      served.close();
      if (before == null) {
        System.clearProperty(ClusterClock.PORT_PROPERTY);
      } else {
        System.setProperty(ClusterClock.PORT_PROPERTY, before);
      }
    }
  }

  @Test
  void anExecutorWithoutTheDriversPortSaysSoInOneLine() {
    WorkerIdentity executor = WorkerIdentity.detect("org.apache.spark.executor.CoarseGrainedExecutorBackend"
        + " --driver-url spark://CoarseGrainedScheduler@127.0.0.1:40123 --executor-id 1 --app-id app-1", Map.of(), 2,
        () -> "h");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ClusterClock none = ClusterClock.start(executor, Map.of(), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertTrue(none.summaryFields().isEmpty());
    String said = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, said.lines().count(), said);
    assertTrue(said.contains("MLTRACE_CLOCK_PORT unset"), said);
  }

  @Test
  void theDriversHostComesFromTheDriverUrl() {
    assertEquals("10.0.0.5", ClusterClock.hostOfDriverUrl("spark://CoarseGrainedScheduler@10.0.0.5:40123"));
    assertEquals("fe80::1", ClusterClock.hostOfDriverUrl("spark://CoarseGrainedScheduler@[fe80::1]:40123"));
    assertEquals("", ClusterClock.hostOfDriverUrl(""));
    assertEquals("", ClusterClock.hostOfDriverUrl("spark://nohost"));
  }

  private static InetSocketAddress loopback(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }
}
