package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where a counted step's op time goes, and the input gap: the accounting of steps without op spans. */
class StepIntervalsTest {
  private static final long STEP = 1L << 40;
  private long nextId = STEP + 1;

  /** A span of the step, with op time (GEMM, copy, other ns; then the estimated part of each) or none. */
  private Span span(int kind, String name, long start, long end, long parent, long... opTime) {
    long header = Slots.header(kind) | (opTime.length > 0 ? Slots.FLAG_OP_TIME : 0);
    long[] slots = opTime.length > 0 ? java.util.Arrays.copyOf(opTime, 8) : null;
    return new Span(header, name, 1, start, end, nextId++, parent, 0, 0, new long[0][], slots);
  }

  private static Breakdown account(long start, long end, List<Span> spans, List<StepAccounting.Interval> jvm) {
    StepIntervals iv = StepIntervals.of(start, end, STEP, spans, jvm);
    return StepAccounting.account(start, end, iv.intervals);
  }

  @Test
  void opTimeIsPlacedInsideTheSpanThatRanItAroundItsChildrenAndTheJvm() {
    List<Span> spans = new ArrayList<>();
    // A phase from 100 to 1100 whose ops took 500 GEMM and 100 other; a data fetch inside it (200-400) and a GC
    // pause (700-800) take their own time first.
    Span phase = span(Kind.PHASE, "trainBatch", 100, 1100, STEP, 500, 0, 100, 300, 0, 0);
    spans.add(phase);
    spans.add(span(Kind.DATA, "data", 200, 400, phase.spanId()));
    List<StepAccounting.Interval> jvm = List.of(new StepAccounting.Interval(700, 800, Category.GC));
    StepIntervals iv = StepIntervals.of(0, 1200, STEP, spans, jvm);
    Breakdown b = StepAccounting.account(0, 1200, iv.intervals);
    assertEquals(500, b.ns(Category.GEMM));
    assertEquals(100, b.ns(Category.OTHER_COMPUTE));
    assertEquals(200, b.ns(Category.DATA) - 100, "the fetch, and the input gap 0-100 before the phase");
    assertEquals(100, b.ns(Category.GC));
    assertEquals(1000 - 200 - 100 - 600, b.ns(Category.FRAMEWORK));
    assertEquals(100, b.ns(Category.UNATTRIBUTED), "after the phase, inside no span");
    assertEquals(1200, b.total());
    assertEquals(300, iv.estimatedNs[Category.GEMM.ordinal()], "measured time is placed first");
    assertEquals(0, iv.unplacedNs);
  }

  @Test
  void theRecordingAfterAnOpOrLayerIsMltracesNotTheFrameworksOrTheDataFetchsAroundIt() {
    List<Span> spans = new ArrayList<>();
    Span phase = span(Kind.PHASE, "forward", 0, 1000, STEP);
    spans.add(phase);
    Span fetch = span(Kind.DATA, "batchify", 0, 300, phase.spanId());
    spans.add(fetch);
    // An op run by the fetch (100-150) whose hook then spent 40 ns on its record; a layer (400-800) whose hook spent 60;
    // inside the layer a GEMM (450-650) recorded in 30, and a GC pause during the layer's recording (800-820).
    spans.add(recorded(span(Kind.OP_OTHER, "stack", 100, 150, fetch.spanId()), 40));
    Span layer = recorded(span(Kind.LAYER, "Linear", 400, 800, phase.spanId()), 60);
    spans.add(layer);
    spans.add(recorded(span(Kind.OP_GEMM, "matmul", 450, 650, layer.spanId()), 30));
    List<StepAccounting.Interval> jvm = List.of(new StepAccounting.Interval(800, 820, Category.GC));
    Breakdown b = account(0, 1000, spans, jvm);
    assertEquals(40 + 30 + 60 - 20, b.ns(Category.MLTRACE), "a pause during the recording is the pause's");
    assertEquals(20, b.ns(Category.GC));
    assertEquals(300 - 40, b.ns(Category.DATA), "the fetch's op is data, as ever; its recording is not");
    assertEquals(200, b.ns(Category.GEMM));
    assertEquals(0, b.ns(Category.OTHER_COMPUTE));
    assertEquals(1000 - 300 - 200 - 30 - 60, b.ns(Category.FRAMEWORK));
    assertEquals(1000, b.total());
  }

  /** The span as read from a record whose hook spent {@code ns} after its end. */
  private static Span recorded(Span s, long ns) {
    long header = Slots.withRecording(Slots.header(s.kind()), ns);
    assertEquals(ns, Slots.recordingNs(header));
    return new Span(header, s.name(), 1, s.startNs(), s.endNs(), s.spanId(), s.parentId(), 0, 0, new long[0][], null);
  }

  @Test
  void anEstimateLargerThanItsSpanNeverTakesTimeFromAnotherCategory() {
    List<Span> spans = new ArrayList<>();
    Span phase = span(Kind.PHASE, "forward", 0, 1000, STEP, 900, 0, 400, 900, 0, 400);
    spans.add(phase);
    spans.add(span(Kind.DATA, "batchify", 100, 300, phase.spanId()));
    StepIntervals iv = StepIntervals.of(0, 1000, STEP, spans, List.of());
    Breakdown b = StepAccounting.account(0, 1000, iv.intervals);
    assertEquals(200, b.ns(Category.DATA));
    assertEquals(800, b.ns(Category.GEMM) + b.ns(Category.OTHER_COMPUTE), "the phase's free time, no more");
    assertEquals(800, b.ns(Category.GEMM), "GEMM first");
    assertEquals(900 + 400 - 800, iv.unplacedNs);
    assertEquals(1000, b.total());
  }

  @Test
  void theInputGapBeforeTheFirstPhaseIsDataAndASleepInItIsCountedOnce() {
    List<Span> spans = new ArrayList<>();
    // The previous iteration's fit ends at 50, inside this step; the user's loading code runs until 600 (a sleep
    // from 100 to 400 in it); the next phase starts at 600.
    spans.add(span(Kind.PHASE, "fit", -500, 50, STEP));
    spans.add(span(Kind.PHASE, "fit", 600, 1000, STEP));
    List<StepAccounting.Interval> jvm = List.of(new StepAccounting.Interval(100, 400, Category.IDLE));
    Breakdown b = account(0, 1000, spans, jvm);
    assertEquals(550, b.ns(Category.DATA));
    assertEquals(0, b.ns(Category.IDLE), "the sleep is data, not data and idle");
    assertEquals(450, b.ns(Category.FRAMEWORK));
    assertEquals(1000, b.total());
  }

  @Test
  void theStepsOwnOpTimeFallsInTheGapFirstWhereTheLoadersOpsRun() {
    List<Span> spans = new ArrayList<>();
    spans.add(span(Kind.PHASE, "forward", 500, 900, STEP));
    spans.add(span(Kind.STEP_OPS, "step_ops", 0, 1000, STEP, 0, 100, 200, 0, 0, 0));
    StepIntervals iv = StepIntervals.of(0, 1000, STEP, spans, List.of());
    Breakdown b = StepAccounting.account(0, 1000, iv.intervals);
    assertEquals(100, b.ns(Category.MEMCPY), "a copy ranks above data");
    assertEquals(400, b.ns(Category.DATA), "the loader's other ops are the cost of the batch");
    assertEquals(400, b.ns(Category.FRAMEWORK));
    assertEquals(100, b.ns(Category.UNATTRIBUTED));
  }

  /**
   * Gradient accumulation: two micro-batches (forward, loss, backward), then the optimizer. The loading before the
   * second forward (a sleep in it) is data like the loading before the first; the loop's code between loss and
   * backward, or before the optimizer, is not.
   */
  @Test
  void theLoadingBeforeEachMicroBatchsForwardIsData() {
    List<Span> spans = new ArrayList<>();
    spans.add(span(Kind.PHASE, "forward", 100, 200, STEP));
    spans.add(span(Kind.PHASE, "loss", 200, 250, STEP));
    spans.add(span(Kind.PHASE, "backward", 300, 400, STEP)); // 250-300: the loop's own code, not loading
    spans.add(span(Kind.OP_OTHER, "randn", 500, 520, STEP)); // a detailed step's op of that loading
    spans.add(span(Kind.PHASE, "forward", 600, 700, STEP)); // 400-600: the next micro-batch's loading
    spans.add(span(Kind.PHASE, "loss", 700, 750, STEP));
    spans.add(span(Kind.PHASE, "backward", 750, 850, STEP));
    spans.add(span(Kind.PHASE, "optimizer", 900, 1000, STEP)); // 850-900: not before a forward
    List<StepAccounting.Interval> jvm = List.of(new StepAccounting.Interval(450, 550, Category.IDLE));
    Breakdown b = account(0, 1000, spans, jvm);
    assertEquals(100 + 200, b.ns(Category.DATA), "both micro-batches' loading");
    assertEquals(0, b.ns(Category.IDLE), "the sleep in the second loading is data");
    assertEquals(50 + 50, b.ns(Category.UNATTRIBUTED), "the loop's other code between calls");
    assertEquals(1000, b.total());
  }

  @Test
  void aStepWithoutPhasesHasNoInputGap() {
    List<Span> spans = List.of(span(Kind.DATA, "etl", 0, 300, STEP));
    Breakdown b = account(0, 1000, spans, List.of());
    assertEquals(300, b.ns(Category.DATA));
    assertEquals(700, b.ns(Category.UNATTRIBUTED));
  }
}
