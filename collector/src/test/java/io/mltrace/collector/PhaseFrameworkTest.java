package io.mltrace.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Slots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a thread's timed steps teach of each phase (its framework time, its ops' shares), and how a counted step uses
 * it. The teaching steps here carry op spans, as a detailed step's records do: {@code learn} reads only the step's
 * accounted time, which a timed step's placed op time gives alike.
 */
class PhaseFrameworkTest {
  private static final long STEP = 1L << 40;
  private static final long THREAD = 7;
  private long nextId = STEP + 1;
  private final PhaseFramework learned = new PhaseFramework();

  private Span span(int kind, String name, long start, long end, long parent, long... opTime) {
    long header = Slots.header(kind) | (opTime.length > 0 ? Slots.FLAG_OP_TIME : 0);
    long[] slots = opTime.length > 0 ? java.util.Arrays.copyOf(opTime, Slots.OP_TIMING_NS - Slots.OP_TIME + 1) : null;
    return new Span(header, name, 1, start, end, nextId++, parent, 0, 0, new long[0][], slots);
  }

  /** Accounts a step that timed every op and teaches it. */
  private void teach(long thread, long end, List<Span> spans, List<StepAccounting.Interval> jvm) {
    StepIntervals iv = StepIntervals.of(0, end, STEP, spans, jvm);
    learned.learn(thread, spans, StepAccounting.segments(0, end, iv.intervals));
  }

  /** Accounts a counted step with what the thread has learned. */
  private StepIntervals counted(long thread, long end, List<Span> spans, List<StepAccounting.Interval> jvm) {
    return StepIntervals.of(0, end, STEP, spans, jvm, learned.splits(thread, spans));
  }

  /** A timed forward phase 0-1000: a GEMM 100-400 and another op 400-700 in a layer; framework 400. */
  private List<Span> timedForward(long gemmNs, long otherNs) {
    List<Span> spans = new ArrayList<>();
    Span phase = span(Kind.PHASE, "forward", 0, 400 + gemmNs + otherNs, STEP);
    Span layer = span(Kind.LAYER, "Linear", 50, 350 + gemmNs + otherNs, phase.spanId());
    spans.add(phase);
    spans.add(layer);
    spans.add(span(Kind.OP_GEMM, "matmul", 100, 100 + gemmNs, layer.spanId()));
    spans.add(span(Kind.OP_OTHER, "relu", 100 + gemmNs, 100 + gemmNs + otherNs, layer.spanId()));
    return spans;
  }

  @Test
  void aSlowCountedPhaseGivesTheFrameworkNoMoreThanItsLearnedTimeAndTheOpsTheRestByTheirLearnedShares() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    // The counted step's forward took 2000 ns; its ops' estimates (250 GEMM, 50 other) know nothing of why. What they
    // and the framework's 400 leave (1300) is the ops', half GEMM, as in the timed step.
    Span phase = span(Kind.PHASE, "forward", 0, 2000, STEP, 250, 0, 50, 250, 0, 50);
    StepIntervals iv = counted(THREAD, 2000, List.of(phase), List.of());
    Breakdown b = StepAccounting.account(0, 2000, iv.intervals);
    assertEquals(400, b.ns(Category.FRAMEWORK), "the framework's learned time");
    assertEquals(250 + 650, b.ns(Category.GEMM));
    assertEquals(50 + 650, b.ns(Category.OTHER_COMPUTE));
    assertEquals(900, iv.estimatedNs[Category.GEMM.ordinal()], "all of it estimated");
    assertEquals(0, iv.unplacedNs);
  }

  @Test
  void aPhaseWhoseOpsTookTheirEstimatesKeepsTheRestAsFrameworkEvenBelowTheLearnedTime() {
    // The most framework time seen is a ceiling, not a value: a counted step whose ops took their estimates keeps the
    // rest as framework.
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    Span phase = span(Kind.PHASE, "forward", 0, 800, STEP, 300, 0, 300, 300, 0, 300);
    Breakdown b = StepAccounting.account(0, 800, counted(THREAD, 800, List.of(phase), List.of()).intervals);
    assertEquals(300, b.ns(Category.GEMM));
    assertEquals(300, b.ns(Category.OTHER_COMPUTE));
    assertEquals(200, b.ns(Category.FRAMEWORK));
  }

  @Test
  void theHooksOwnWorkOnTimedOpsIsMltraceAndNotTheFrameworks() {
    // A timed step's forward phase (0-1000): 600 ns of ops measured without records, and 150 ns of the hooks' work
    // after them (learning their times): mltrace, placed first in the phase's own time; the framework has the rest.
    Span phase = span(Kind.PHASE, "forward", 0, 1000, STEP, 300, 0, 300, 0, 0, 0, 0, 0, 150);
    Breakdown b = StepAccounting.account(0, 1000, StepIntervals.of(0, 1000, STEP, List.of(phase), List.of())
        .intervals);
    assertEquals(150, b.ns(Category.MLTRACE));
    assertEquals(300, b.ns(Category.GEMM));
    assertEquals(300, b.ns(Category.OTHER_COMPUTE));
    assertEquals(250, b.ns(Category.FRAMEWORK));
    // Taught by it, the framework's learned time is the 250 without the hooks' work.
    learned.learn(THREAD, List.of(phase), StepAccounting.segments(0, 1000,
        StepIntervals.of(0, 1000, STEP, List.of(phase), List.of()).intervals));
    assertEquals(250, learned.splits(THREAD, List.of(phase)).get(phase).frameworkNs);
  }

  @Test
  void withoutALearnedSplitTheOpsOwnEstimatesArePlacedAsBefore() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    Span phase = span(Kind.PHASE, "forward", 0, 2000, STEP, 250, 0, 50, 250, 0, 50);
    StepIntervals iv = counted(THREAD + 1, 2000, List.of(phase), List.of());
    Breakdown b = StepAccounting.account(0, 2000, iv.intervals);
    assertEquals(250, b.ns(Category.GEMM), "another thread's phases teach nothing here");
    assertEquals(1700, b.ns(Category.FRAMEWORK));
  }

  @Test
  void measuredOpTimeIsKeptAndOnlyTheEstimatedPartIsSplit() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    // 900 GEMM of which 100 estimated; the rest (2000 - 900 - 400 = 700) is split 350/350, all of it estimated.
    Span phase = span(Kind.PHASE, "forward", 0, 2000, STEP, 900, 0, 0, 100, 0, 0);
    StepIntervals iv = counted(THREAD, 2000, List.of(phase), List.of());
    Breakdown b = StepAccounting.account(0, 2000, iv.intervals);
    assertEquals(1250, b.ns(Category.GEMM));
    assertEquals(350, b.ns(Category.OTHER_COMPUTE));
    assertEquals(100 + 350, iv.estimatedNs[Category.GEMM.ordinal()]);
  }

  @Test
  void aPhaseWhoseOpsWereAllTimedIsLeftAsMeasured() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    Span phase = span(Kind.PHASE, "forward", 0, 2000, STEP, 500, 0, 100, 0, 0, 0);
    Breakdown b = StepAccounting.account(0, 2000, counted(THREAD, 2000, List.of(phase), List.of()).intervals);
    assertEquals(500, b.ns(Category.GEMM));
    assertEquals(100, b.ns(Category.OTHER_COMPUTE));
    assertEquals(1400, b.ns(Category.FRAMEWORK));
  }

  @Test
  void estimatesThatDoNotFitAreClippedAsWithoutASplit() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    Span phase = span(Kind.PHASE, "forward", 0, 300, STEP, 100, 0, 300, 0, 0, 300);
    StepIntervals iv = counted(THREAD, 300, List.of(phase), List.of());
    Breakdown b = StepAccounting.account(0, 300, iv.intervals);
    assertEquals(100, b.ns(Category.GEMM), "measured GEMM first");
    assertEquals(200, b.ns(Category.OTHER_COMPUTE));
    assertEquals(0, b.ns(Category.FRAMEWORK));
    assertEquals(100, iv.unplacedNs);
  }

  @Test
  void childFetchesAndJvmPausesBelongToNeitherPartInEitherKindOfStep() {
    // Detailed: phase 0-2000 with a data fetch 1000-1500 and a GC 1600-1800 in it; its own time split 400 / 600.
    List<Span> detailed = new ArrayList<>(timedForward(300, 300));
    Span longPhase = span(Kind.PHASE, "forward", 0, 2000, STEP);
    detailed.set(0, longPhase);
    detailed.add(span(Kind.DATA, "batchify", 1000, 1500, longPhase.spanId()));
    List<StepAccounting.Interval> gc = List.of(new StepAccounting.Interval(1600, 1800, Category.GC));
    teach(THREAD, 2000, detailed, gc);
    Map<Span, PhaseFramework.Split> splits = learned.splits(THREAD, List.of(longPhase));
    assertEquals(1, splits.size());
    assertEquals(2000 - 600 - 500 - 200, splits.get(longPhase).frameworkNs,
        "the phase less its ops, its fetch and the pause");
    // Counted: the same phase, a fetch and a pause; 3000 - 500 - 200 = 2300 free, of which 2300 - 700 for the ops.
    Span phase = span(Kind.PHASE, "forward", 0, 3000, STEP, 10, 0, 10, 10, 0, 10);
    List<Span> spans = List.of(phase, span(Kind.DATA, "batchify", 1000, 1500, phase.spanId()));
    Breakdown b = StepAccounting.account(0, 3000, counted(THREAD, 3000, spans,
        List.of(new StepAccounting.Interval(2000, 2200, Category.GC))).intervals);
    assertEquals(500, b.ns(Category.DATA));
    assertEquals(200, b.ns(Category.GC));
    assertEquals(700, b.ns(Category.FRAMEWORK));
    assertEquals(800, b.ns(Category.GEMM));
    assertEquals(800, b.ns(Category.OTHER_COMPUTE));
  }

  @Test
  void phasesOfOneNameAreKnownByTheirRankInTheStep() {
    // Two updater phases a step: the first all framework but a 100 ns op, the second all ops.
    List<Span> detailed = new ArrayList<>();
    Span first = span(Kind.PHASE, "updater", 0, 1000, STEP);
    Span second = span(Kind.PHASE, "updater", 1000, 1500, STEP);
    detailed.add(first);
    detailed.add(second);
    detailed.add(span(Kind.OP_OTHER, "sgd", 0, 100, first.spanId()));
    detailed.add(span(Kind.OP_OTHER, "sgd", 1000, 1500, second.spanId()));
    teach(THREAD, 1500, detailed, List.of());
    Span a = span(Kind.PHASE, "updater", 0, 1000, STEP, 0, 0, 1, 0, 0, 1);
    Span b = span(Kind.PHASE, "updater", 1000, 1600, STEP, 0, 0, 1, 0, 0, 1);
    Map<Span, PhaseFramework.Split> splits = learned.splits(THREAD, List.of(b, a));
    assertEquals(900, splits.get(a).frameworkNs);
    assertEquals(0, splits.get(b).frameworkNs);
    Breakdown bd = StepAccounting.account(0, 1600, counted(THREAD, 1600, List.of(a, b), List.of()).intervals);
    assertEquals(100 + 600, bd.ns(Category.OTHER_COMPUTE));
  }

  @Test
  void untilAnythingVariesTheOpsTakeTheExcessByTheirTimeOverTheLastSamples() {
    teach(THREAD, 1000, timedForward(300, 300), List.of());
    teach(THREAD, 1600, timedForward(900, 300), List.of());
    Span phase = span(Kind.PHASE, "forward", 0, 1000, STEP, 1, 0, 1, 1, 0, 1);
    PhaseFramework.Split split = learned.splits(THREAD, List.of(phase)).get(phase);
    assertEquals(400, split.frameworkNs);
    assertEquals((300 + 900) / 1800.0, split.opShares[0], 1e-9, "GEMM's share of both steps' ops");
    assertEquals(0, split.opShares[1], 1e-9);
    assertEquals(1, split.opShares[0] + split.opShares[2], 1e-9, "nothing left to the framework");
  }

  @Test
  void theExcessGoesWhereTheTimedStepsTimeAboveItsUsualWent() {
    // Stalls in the framework's code (a single thread descheduled between ops): now and then a timed step's
    // framework runs 4000 ns over its usual 400, its ops as usual.
    for (int i = 0; i < 4 * PhaseFramework.SAMPLES; i++) {
      List<Span> spans = timedForward(300, 300);
      if (i % 4 == 3) {
        Span phase = spans.get(0);
        spans.set(0, span(Kind.PHASE, "forward", 0, phase.endNs() + 4000, STEP));
      }
      teach(THREAD, 5000, spans, List.of());
    }
    Span probe = span(Kind.PHASE, "forward", 0, 1000, STEP, 1, 0, 1, 1, 0, 1);
    PhaseFramework.Split split = learned.splits(THREAD, List.of(probe)).get(probe);
    assertEquals(0, split.opShares[0] + split.opShares[1] + split.opShares[2], 1e-9,
        "only the framework ever ran over its usual: " + java.util.Arrays.toString(split.opShares));
    // A counted forward 5000 ns long with the usual estimates: what they and the framework's ceiling (4400, seen in
    // the last samples) leave stays the framework's, as in the timed steps, instead of going to the ops.
    Span phase = span(Kind.PHASE, "forward", 0, 5600, STEP, 300, 0, 300, 300, 0, 300);
    Breakdown b = StepAccounting.account(0, 5600, counted(THREAD, 5600, List.of(phase), List.of()).intervals);
    assertEquals(300, b.ns(Category.GEMM));
    assertEquals(300, b.ns(Category.OTHER_COMPUTE));
    assertEquals(5000, b.ns(Category.FRAMEWORK));

    // Stalls in the other op instead (a native worker descheduled): the excess follows them there, and older
    // excesses fade.
    for (int i = 0; i < 8 * PhaseFramework.EXCESS_MEMORY; i++) {
      teach(THREAD, 5000, timedForward(300, i % 4 == 3 ? 2300 : 300), List.of());
    }
    split = learned.splits(THREAD, List.of(probe)).get(probe);
    assertTrue(split.opShares[2] > 0.99, java.util.Arrays.toString(split.opShares));
    assertEquals(0, split.opShares[0], 1e-9);
  }

  @Test
  void onlyCountedStepsThatTimedEveryOpTeachPastTheThreadsFirstSteps() {
    assertTrue(PhaseFramework.teaches(draft(10, false, 35, 35)), "a timed step");
    assertFalse(PhaseFramework.teaches(draft(10, false, 35, 2)), "a counted step that estimated its ops");
    assertFalse(PhaseFramework.teaches(draft(10, true, 35, 35)), "a detailed step: its framework time has its records");
    assertFalse(PhaseFramework.teaches(draft(PhaseFramework.WARM_STEPS, false, 35, 35)), "a first step");
    assertFalse(PhaseFramework.teaches(draft(10, false, 0, 0)), "a step without ops");
  }

  private static StepAssembler.Draft draft(long number, boolean detailed, long ops, long opsTimed) {
    StepAssembler.Draft d = new StepAssembler.Draft(number, STEP, THREAD, "main", 0, 1000, 0, ops, detailed,
        List.of(), 0, null);
    d.attributes[Slots.ATTR_OPS_TIMED] = opsTimed;
    return d;
  }

  @Test
  void memoryIsBoundedInThreadsAndInPhasesPerThread() {
    for (long thread = 0; thread <= PhaseFramework.MAX_THREADS; thread++) {
      teach(thread, 1000, timedForward(300, 300), List.of());
    }
    Span phase = span(Kind.PHASE, "forward", 0, 1000, STEP, 1, 0, 1, 1, 0, 1);
    assertTrue(learned.splits(0, List.of(phase)).isEmpty(), "the least recently stepped thread is forgotten");
    assertEquals(1, learned.splits(PhaseFramework.MAX_THREADS, List.of(phase)).size());

    List<Span> many = new ArrayList<>();
    for (int i = 0; i <= PhaseFramework.MAX_PHASES; i++) {
      Span p = span(Kind.PHASE, "callback" + i, i * 10, i * 10 + 10, STEP);
      many.add(p);
      many.add(span(Kind.OP_OTHER, "op", i * 10, i * 10 + 5, p.spanId()));
    }
    long newThread = PhaseFramework.MAX_THREADS + 1;
    teach(newThread, 10 * (PhaseFramework.MAX_PHASES + 1), many, List.of());
    assertEquals(PhaseFramework.MAX_PHASES, learned.splits(newThread, many).size());
  }
}
