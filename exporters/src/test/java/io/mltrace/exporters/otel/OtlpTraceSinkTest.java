package io.mltrace.exporters.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.collector.Step;
import io.mltrace.exporters.testing.LocalBackend;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bounded queue: what happens when the endpoint is down or hangs. */
class OtlpTraceSinkTest {
  static final int STEPS = 300;

  private static OtlpTraceSink sink(String endpoint, int queueSpans, long timeoutMs, ByteArrayOutputStream err) {
    OtlpSettings s = OtlpSettings.resolve(endpoint, "grpc", queueSpans,
        Map.of("OTEL_EXPORTER_OTLP_TIMEOUT", String.valueOf(timeoutMs)));
    return OtlpTraceSink.create(s, () -> "test", new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void dropsAndCountsEverySpanWhenTheEndpointIsDownAndWarnsOnce() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = sink("http://127.0.0.1:" + LocalBackend.freePort(), 64, 2000, err);
    RecordedSteps r = RecordedSteps.run(STEPS, sink);
    long produced = (long) STEPS * RecordedSteps.SPANS_PER_STEP;
    assertEquals(r.steps.size(), STEPS);
    assertEquals(0, sink.exported(), sink::report);
    assertEquals(produced, sink.dropped(), sink::report);
    assertEquals(produced, sink.accepted() + sink.droppedQueueFull(), sink::report);
    assertTrue(sink.queueHighWater() <= 64, sink::report);
    assertEquals(0, sink.eventsOverLimit(), sink::report);
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, text.lines().filter(l -> l.startsWith("mltrace: OTLP spans dropped")).count(), text);
    assertTrue(text.contains(sink.report()), "the closing report is printed: " + text);
  }

  @Test
  void jvmEventsPastTheSdksPerSpanEventLimitAreCounted() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    OtlpTraceSink sink = sink("http://127.0.0.1:" + LocalBackend.freePort(), 4096, 2000, err);
    RecordedSteps.runWithSafepoints(2, 200, sink);
    sink.close();
    // Each step span carries the scripted GC pause and 200 safepoints as events: 201, of which the SDK keeps 128.
    assertEquals(2 * (201 - 128), sink.eventsOverLimit(), sink::report);
    assertTrue(sink.report().contains("; 146 JVM events past the per-span event limit;"), sink::report);
  }

  @Test
  void neverBlocksTheCollectorWhileTheEndpointHangs() throws Exception {
    List<Socket> held = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept()); // accepts, never answers
          }
        } catch (Exception closed) {
          // test over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      OtlpTraceSink sink = sink("http://127.0.0.1:" + silent.getLocalPort(), 128, 2000, err);
      AtomicLong worstNs = new AtomicLong();
      RecordedSteps.run(STEPS, step -> timed(sink, step, worstNs));
      // The export thread sits in a hung request for the 2 s export timeout; an onStep that waited for it would
      // take that long. A quarter of it leaves room for a loaded machine's scheduling and the first warning line.
      assertTrue(worstNs.get() < 500_000_000L, "slowest onStep " + worstNs.get() / 1e6 + " ms");
      assertTrue(sink.droppedQueueFull() > 0, "the queue filled while the endpoint hung: " + sink.report());
      assertTrue(sink.queueHighWater() <= 128, sink::report);
      long t0 = System.nanoTime();
      sink.close();
      assertTrue(System.nanoTime() - t0 < 6_000_000_000L, "close is bounded by the export timeout");
      assertEquals((long) STEPS * RecordedSteps.SPANS_PER_STEP, sink.exported() + sink.dropped(), sink::report);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private static void timed(OtlpTraceSink sink, Step step, AtomicLong worstNs) {
    long t0 = System.nanoTime();
    sink.onStep(step);
    long dt = System.nanoTime() - t0;
    if (dt > worstNs.get()) {
      worstNs.set(dt);
    }
  }
}
