package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.Category;
import io.mltrace.collector.Span;
import io.mltrace.exporters.testing.RecordedSteps;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference and evaluation calls outside the steps are counted by name, whole calls only, in {@code summary.json}'s
 * {@code outside_steps} and the console's summary: the time the agent keeps out of the steps is said, not lost.
 */
class OutsideCallsTest {
  @TempDir
  Path dir;

  private static Span span(int kind, String name, long start, long end, long id, long parent) {
    return new Span(kind, name, 1, start, end, id, parent, 0, 0, new long[0][]);
  }

  private static void feed(io.mltrace.collector.StepSink sink) {
    sink.onSpanOutsideStep(span(Kind.OP_GEMM, "linear", 10, 20, 2, 1)); // inside the root: not a call
    sink.onSpanOutsideStep(span(Kind.INFERENCE, "evaluate", 0, 1_000_000, 1, 0));
    sink.onSpanOutsideStep(span(Kind.INFERENCE, "loss", 1_000_100, 1_200_100, 3, 0));
    sink.onSpanOutsideStep(span(Kind.INFERENCE, "evaluate", 2_000_000, 4_000_000, 4, 0));
    sink.onSpanOutsideStep(span(Kind.INFERENCE, "forward", 2_000_010, 3_000_000, 5, 4)); // a nested root
    sink.onSpanOutsideStep(span(Kind.PHASE, "Worker.getInitialModel", 0, 50, 6, 0)); // no inference call
  }

  @Test
  void theSummaryCountsWholeCallsByName() throws Exception {
    Path file = dir.resolve("summary.json");
    SummaryWriter writer = new SummaryWriter(file, 100, List.of(Category.values()));
    feed(writer);
    RecordedSteps.run(1, writer);
    JsonNode outside = new ObjectMapper().readTree(file.toFile()).get("outside_steps");
    assertEquals(2, outside.size(), outside.toString());
    assertEquals(2, outside.get("evaluate").get("calls").asLong());
    assertEquals(3_000_000, outside.get("evaluate").get("total_ns").asLong());
    assertEquals(1, outside.get("loss").get("calls").asLong());
    assertEquals(200_000, outside.get("loss").get("total_ns").asLong());
  }

  @Test
  void aJobWithoutThemWritesAnEmptyObject() throws Exception {
    Path file = dir.resolve("summary.json");
    RecordedSteps.run(1, new SummaryWriter(file, 100, List.of(Category.values())));
    JsonNode outside = new ObjectMapper().readTree(file.toFile()).get("outside_steps");
    assertTrue(outside.isObject() && outside.isEmpty(), String.valueOf(outside));
  }

  @Test
  void theConsoleSaysThemAndOnlyWhenThereAreAny() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ConsoleReporter console = new ConsoleReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    assertFalse(console.summary().contains("outside steps"), console.summary());
    feed(console);
    String summary = console.summary();
    assertTrue(summary.contains("outside steps: evaluate 2 calls in 3.0 ms, loss 1 calls in 0.2 ms"), summary);
  }

  @Test
  void namesAreBounded() {
    OutsideCalls calls = new OutsideCalls();
    for (int i = 0; i < OutsideCalls.MAX_NAMES + 5; i++) {
      calls.add(span(Kind.INFERENCE, "call" + i, 0, 10, i + 1, 0));
    }
    assertEquals(OutsideCalls.MAX_NAMES, calls.byName().size());
  }
}
