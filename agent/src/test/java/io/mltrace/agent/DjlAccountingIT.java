package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real DJL job with injected ground truth: a data loader that sleeps, System.gc() in chosen steps, a listener that
 * spins. The breakdown must recover each, and the .jfr file must hold the same steps and spans as the trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DjlAccountingIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int STEPS = 24;
  // Checked per step within 5 %: at 40 ms a sleep that is 2 ms, more than one scheduling delay on a loaded machine.
  static final int SLEEP_MS = 40;
  static final int BUSY_MS = 15;
  static final List<Integer> GC_STEPS = List.of(8, 16);

  Path out;
  ChildJvm run;
  JsonNode summary;
  final Map<Integer, Long> inputNs = new HashMap<>();

  /** The mode's options: here every step detailed; {@code Default} runs the same checks in the production mode. */
  String modeOptions() {
    return "sample_every=1";
  }

  /** Whether every step is detailed: execution samples are classified in detailed steps only. */
  boolean everyStepDetailed() {
    return true;
  }

  @BeforeAll
  void runGroundTruthJob() throws Exception {
    out = java.nio.file.Files.createTempDirectory("mltrace-accounting");
    run = ChildJvm.run("output=" + out + ",report_interval=0," + modeOptions() + ",console=summary,sample_period_ms=10,jfr="
        + out.resolve("run.jfr"), List.of(), "io.mltrace.examples.groundtruth.DjlGroundTruth",
        "--steps", String.valueOf(STEPS), "--data-sleep-ms", String.valueOf(SLEEP_MS),
        "--gc-steps", "8,16", "--listener-busy-ms", String.valueOf(BUSY_MS));
    assertEquals(0, run.exitCode, run::toString);
    summary = JSON.readTree(out.resolve("summary.json").toFile());
    // A step's data work, as the job timed it: everything between the previous step's trainer.step() returning and
    // this step's trainBatch: releasing the previous batch, fetching this one, and the loop's bookkeeping. (Timing
    // only the fetch and the release left the bookkeeping untimed: once in CI a 3 ms descheduling of the training
    // thread fell there, data read 43.8 ms against 40.8 ms of fetch and release.)
    Matcher m = Pattern.compile("groundtruth step (\\d+) fetch_ns \\d+ close_ns \\d+ gc_call_ns \\d+ input_ns (\\d+)")
        .matcher(run.stdout);
    while (m.find()) {
      inputNs.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    }
    assertEquals(STEPS, inputNs.size(), run::toString);
    assertEquals(STEPS, summary.get("steps").size(), run::toString);
  }

  private JsonNode step(int n) {
    return summary.get("steps").get(n - 1);
  }

  private static long ns(JsonNode step, String category) {
    return GroundTruth.ns(step, category);
  }

  @Test
  void dataLoadingIsRecoveredWithinFivePercentOfWhatTheApplicationMeasured() {
    // Step 1's first fetch also loads and initialises classes (jit_safepoint ranks above data): it is checked
    // for the sleep only, pauses included (a JVM pause over the sleep is the pause's, by the same rule: once in a
    // suite run, step 1 read data 38.5 ms of the 40 ms sleep beside 17.7 ms of safepoints and 8.2 ms of GC).
    assertTrue(ns(step(1), "data") + ns(step(1), "gc") + ns(step(1), "jit_safepoint") + ns(step(1), "mltrace")
        >= SLEEP_MS * 1_000_000L,
        step(1).toString());
    // JVM pauses rank above data (a GC or a safepoint during a fetch is gc or jit_safepoint, by the documented
    // rule), and so does the agent's own recording of the ops inside the fetch (DJL's batchify: mltrace), so the
    // job's input time is data plus whatever of those overlapped it; data is never more than it (+5 %). (Once, in a
    // run of this class, detailed step 2 read 4.6 ms of mltrace, the recording still interpreted, beside a 45 ms
    // fetch.)
    for (int n = 2; n <= STEPS; n++) {
      long truth = inputNs.get(n);
      long data = ns(step(n), "data");
      long pauses = ns(step(n), "gc") + ns(step(n), "jit_safepoint") + ns(step(n), "mltrace");
      assertTrue(truth >= SLEEP_MS * 1_000_000L, "the loader slept");
      assertTrue(data <= 1.05 * truth && data + pauses >= 0.95 * truth, "step " + n + ": data " + data
          + " (+ pauses and recording " + pauses + ") vs the job's input time " + truth + ": " + step(n));
    }
  }

  @Test
  void gcInChosenStepsIsRecoveredWithinFivePercentOfTheJfrPauses() throws Exception {
    // As in Dl4jAccountingIT: a young collection the job triggers by itself can fall in the same step as the forced
    // one (once in a clean-clone CI run: step 8 read 28.8 ms of gc for a 23.4 ms forced pause).
    GroundTruth.assertForcedGcRecovered(out.resolve("run.jfr"), summary.get("steps"), GC_STEPS);
  }

  @Test
  void aBusyListenerIsFrameworkTimeWithItsFrameOnTop() {
    // JVM pauses rank above framework, as above data: a safepoint (or an unforced collection) while the listener spins
    // is that pause's time. It read 14.85 ms of framework and 3.0 ms of jit_safepoint once in CI (step 8).
    for (int n = 1; n <= STEPS; n++) {
      long pauses = ns(step(n), "jit_safepoint") + (GC_STEPS.contains(n) ? 0 : ns(step(n), "gc"));
      assertTrue(ns(step(n), "framework") + pauses >= BUSY_MS * 1_000_000L, "step " + n + " " + step(n));
    }
    if (!everyStepDetailed()) {
      return; // no detailed step in this short run: no execution samples are classified
    }
    JsonNode top = summary.get("top_frames").get(0);
    assertTrue(top.get("frame").asText().endsWith("DjlGroundTruth$BusyListener.spin"), summary.get("top_frames")
        .toString());
    assertTrue(run.stdout.contains("DjlGroundTruth$BusyListener.spin"), "console names the frame");
  }

  @Test
  void everyBreakdownSumsToItsWallTime() {
    for (JsonNode s : summary.get("steps")) {
      long sum = 0;
      for (JsonNode v : s.get("breakdown_ns")) {
        sum += v.asLong();
      }
      assertEquals(s.get("wall_ns").asLong(), sum);
    }
  }

  @Test
  void theJfrFileHoldsTheSameStepsAndSpansAsTheTrace() throws Exception {
    JsonNode trace = JSON.readTree(out.resolve("trace.json").toFile());
    Map<Long, Double> traceDurUs = new HashMap<>();
    int traceSteps = 0;
    int heapAllocatedPoints = 0;
    for (JsonNode e : trace.get("traceEvents")) {
      heapAllocatedPoints += "memory heap_allocated_bytes".equals(e.path("name").asText()) ? 1 : 0;
      if (!"X".equals(e.get("ph").asText()) || !e.get("args").has("step")) {
        continue;
      }
      if ("step".equals(e.get("cat").asText())) {
        traceSteps++;
      } else {
        traceDurUs.put(e.get("args").get("span_id").asLong(), e.get("dur").asDouble());
      }
    }
    int jfrSteps = 0;
    int jfrSpans = 0;
    Map<Long, Long> heapAllocated = new HashMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(out.resolve("run.jfr"))) {
      String type = e.getEventType().getName();
      if (type.equals("mltrace.StepMemory")) {
        heapAllocated.put(e.getLong("step"), e.getLong("heap_allocated_bytes"));
      } else if (type.equals("mltrace.Step")) {
        jfrSteps++;
      } else if (type.equals("mltrace.Span")) {
        jfrSpans++;
        Double dur = traceDurUs.get(e.getLong("spanId"));
        assertTrue(dur != null, "span in the trace: " + e);
        assertEquals(dur, e.getLong("spanDuration") / 1000.0, 0.0011);
      }
    }
    // JFR gets every step; the trace details the sampled ones, and both hold the same spans.
    int detailed = 0;
    for (JsonNode st : summary.get("steps")) {
      detailed += st.get("detailed").asBoolean() ? 1 : 0;
    }
    assertEquals(summary.get("steps").size(), jfrSteps);
    assertEquals(detailed, traceSteps);
    assertEquals(traceSteps, heapAllocatedPoints, "a memory counter point per stored step");
    assertEquals(traceDurUs.size(), jfrSpans);
    // Each step's memory event (committed from the complete step: the last steps may come after JFR's dump at
    // exit) holds the heap the step's thread allocated, as summary.json has it.
    assertFalse(heapAllocated.isEmpty(), "mltrace.StepMemory events in the recording");
    for (JsonNode st : summary.get("steps")) {
      Long jfr = heapAllocated.get(st.get("step").asLong());
      if (jfr != null) {
        assertEquals(st.get("memory").get("heap_allocated_bytes").asLong(), jfr, st.toString());
      }
    }
    assertTrue(heapAllocated.values().stream().allMatch(v -> v > 0), heapAllocated::toString);
  }
}
