package io.mltrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.SamplingPolicy;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.ChromeTraceWriter;
import io.mltrace.exporters.SummaryWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real recorder, collector and writers driven by a training loop on a thread: what each mode, head and tail
 * sampling, the overhead guard and an on-demand window do to the steps that come out.
 */
class ControlPipelineTest {
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final DetailControl control = new DetailControl(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
  private final List<Step> all = new ArrayList<>();
  private final List<Step> traced = new ArrayList<>();
  @TempDir
  Path dir;
  private WindowSinks windows;
  private OverheadGuard guard;
  private Collector collector;

  @BeforeEach
  void setUp() {
    windows = new WindowSinks(control, d -> List.of(new SummaryWriter(d.resolve("summary.json"), 1000,
        List.of(Category.GEMM)), new ChromeTraceWriter(d.resolve("trace.json"), 100_000)));
    Recorder.setEnabled(true);
  }

  private void pipeline(double budgetPercent) {
    guard = new OverheadGuard(control, windows, budgetPercent);
    StepSink everything = all::add;
    collector = Collector.create(List.of(everything, new TailFilter(traced::add, control, windows), windows, guard),
        10, 0, 1_000_000);
    windows.setStats(collector::stats);
  }

  @AfterEach
  void tearDown() {
    if (collector != null) {
      collector.close();
    }
    Recorder.setEnabled(false);
    Sampling.install(SamplingPolicy.DEFAULT);
  }

  /** Runs {@code steps} iterations on a new thread; iteration i sleeps {@code sleepMillis(i)} ms in trainBatch. */
  private void train(int steps, IntUnaryOperator sleepMillis) throws Exception {
    train(steps, sleepMillis, 20);
  }

  /** As {@link #train(int, IntUnaryOperator)}, draining every {@code drainEvery} steps (and at the end). */
  private void train(int steps, IntUnaryOperator sleepMillis, int drainEvery) throws Exception {
    train(steps, sleepMillis, drainEvery, () -> { });
  }

  /** As above; {@code inPhase} runs inside each step's trainBatch phase, after its GEMM. */
  private void train(int steps, IntUnaryOperator sleepMillis, int drainEvery, Runnable inPhase) throws Exception {
    Thread t = new Thread(() -> {
      for (int i = 0; i < steps; i++) {
        ThreadRecorder data = Recorder.enterStepPart();
        Recorder.exitSpan(data, Kind.DATA, "data");
        ThreadRecorder phase = Recorder.enterStepPart();
        ThreadRecorder gemm = Recorder.enterOp();
        Recorder.exitGemm(gemm, "linear", GemmShapes.LINEAR, new long[] {8, 16}, new long[] {4, 16});
        inPhase.run();
        int ms = sleepMillis.applyAsInt(i);
        if (ms > 0) {
          try {
            Thread.sleep(ms);
          } catch (InterruptedException e) {
            return;
          }
        }
        Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
        ThreadRecorder opt = Recorder.enterStepPart();
        Recorder.exitStepEnd(opt, "optimizer");
        if (i % drainEvery == drainEvery - 1) {
          collector.drainOnce();
        }
      }
      Recorder.loopStart();
    });
    t.start();
    t.join();
    collector.drainOnce();
  }

  @Test
  void headSamplingDetailsEveryNthStepAndCountsTheRest() throws Exception {
    pipeline(0);
    control.configure(new DetailPolicy(Mode.DEFAULT, 5, 0, 0, 200, true));
    train(40, i -> 0);
    assertEquals(40, all.size());
    for (Step s : all) {
      assertEquals(s.number() % 5 == 0, s.detailed(), "step " + s.number());
      assertEquals(1, s.opCount(), "every step keeps its op counter");
    }
  }

  @Test
  void offModeKeepsStepCountersOnlyAndFullModeDetailsEveryStep() throws Exception {
    pipeline(0);
    control.configure(DetailPolicy.off());
    train(10, i -> 0);
    assertEquals(10, all.size());
    assertTrue(all.stream().noneMatch(Step::detailed));
    assertTrue(all.stream().allMatch(s -> s.opCount() == 0), "ops are not even timed in mode off");
    all.clear();
    control.configure(new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true));
    train(10, i -> 0);
    assertTrue(all.stream().allMatch(s -> s.detailed() && s.opCount() == 1));
  }

  @Test
  void tailSamplingKeepsTheSlowStepsInTheTraceAndFewOthers() throws Exception {
    pipeline(0);
    control.configure(new DetailPolicy(Mode.DEFAULT, 0, 0, 90, 100, true));
    // 1 step in 20 sleeps 60 ms, the others 1 ms: the slow ones are well past the 90th percentile.
    train(200, i -> i % 20 == 19 ? 60 : 1);
    assertEquals(200, all.size());
    assertTrue(all.stream().allMatch(Step::detailed), "tail sampling records every step's spans");
    List<Long> slow = new ArrayList<>();
    for (int i = TailFilter.MIN_HISTORY + 1; i < all.size(); i++) {
      if (i % 20 == 19) {
        slow.add(all.get(i).number());
      }
    }
    List<Long> kept = new ArrayList<>();
    traced.forEach(s -> kept.add(s.number()));
    assertTrue(kept.containsAll(slow), "every slow step kept: " + slow + " in " + kept);
    assertTrue(kept.size() - slow.size() < 60, "few fast steps kept: " + kept.size());
  }

  @Test
  void theGuardLowersDetailWhenTheHotPathDominatesAndSaysSo() throws Exception {
    pipeline(1.0);
    // A hot path of 1 ms per call (a slow machine, or a hook on a very hot method) dominates these short steps
    // whatever the machine's load; the decision, the ladder and the report are what is tested.
    guard.setCosts(1_000_000, 1_000_000);
    control.configure(new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true));
    train(OverheadGuard.STEPS_PER_CHECK * 3, i -> 0);
    assertEquals(Mode.DEFAULT, control.policy().mode(), control.policy().describe());
    String err = errBytes.toString(StandardCharsets.UTF_8);
    assertTrue(err.contains("mltrace: overhead guard: hot path at") && err.contains("detail lowered to"), err);
    assertTrue(control.guardReport().startsWith("lowered"), control.guardReport());
    assertTrue(guard.lastShare() > 0.01, "share " + guard.lastShare());
  }

  /**
   * Steps reach the guard late (the collector waits for JVM events): a lowered policy must be judged by steps that
   * ran under it, not by the backlog recorded before it applied.
   */
  @Test
  void theGuardJudgesAPolicyOnlyByStepsThatRanUnderIt() throws Exception {
    pipeline(1.0);
    guard.setCosts(1_000_000, 1_000_000);
    control.configure(new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true));
    // 150 steps handed over at once, as after a pause in the pipeline: all of them ran in full mode.
    train(OverheadGuard.STEPS_PER_CHECK * 3, i -> 0, Integer.MAX_VALUE);
    String err = errBytes.toString(StandardCharsets.UTF_8);
    assertEquals(1, err.split("detail lowered to", -1).length - 1, "one lowering for one policy's steps: " + err);
    assertEquals(new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true).lowered().describe(), control.policy().describe());
    // Steps that run under the lowered policy are judged again (and, at this cost, lower it once more).
    train(OverheadGuard.STEPS_PER_CHECK + 5, i -> 0, 10);
    err = errBytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, err.split("detail lowered to", -1).length - 1, err);
  }

  @Test
  void theGuardLeavesDetailAloneWithinBudget() throws Exception {
    pipeline(1.0);
    guard.setCosts(100, 50);
    control.configure(new DetailPolicy(Mode.FULL, 0, 0, 0, 200, true));
    train(OverheadGuard.STEPS_PER_CHECK + 1, i -> 2); // 2 ms steps: a few hook calls are far below 1%
    assertEquals(Mode.FULL, control.policy().mode());
    assertTrue(guard.lastShare() >= 0 && guard.lastShare() < 0.01, "share " + guard.lastShare());
    assertEquals("", errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aWindowHoldsExactlyItsStepsEvenInModeOff() throws Exception {
    pipeline(0);
    control.configure(DetailPolicy.off());
    Path window = dir.resolve("window");
    String opened = windows.openSteps(5, window, false);
    assertTrue(opened.startsWith("window 1 open: 5 steps"), opened);
    train(20, i -> 0);
    JsonNode summary = new ObjectMapper().readTree(window.resolve("summary.json").toFile());
    assertEquals(5, summary.get("steps").size(), summary::toString);
    for (JsonNode s : summary.get("steps")) {
      assertTrue(s.get("detailed").asBoolean());
      assertEquals(1, s.get("ops").asLong(), "ops are timed during a window even in mode off");
    }
    long detailed = all.stream().filter(Step::detailed).count();
    assertTrue(detailed >= 5 && detailed <= 5 + TraceWindow.SLACK_STEPS,
        "mode off: only the window's steps (and its slack) are detailed: " + detailed);
    assertEquals("done", System.getProperty(AgentStatus.WINDOW_STATE));
    assertFalse(windows.covers(all.get(all.size() - 1)));
    assertNull(windows.closeOpen("stopped"), "the window closed by itself");
    all.clear();
    train(5, i -> 0);
    assertTrue(all.stream().noneMatch(Step::detailed) && all.stream().allMatch(s -> s.opCount() == 0),
        "back to mode off after the window");
  }

  /**
   * A window whose range of steps went by before the hot path was told of it (the attaching thread descheduled past
   * the slack while a fast job trained on) moves on to the next steps instead of waiting for steps that never come.
   */
  @Test
  void aWindowWhoseStepsWentByUndetailedMovesOnToTheNextSteps() throws Exception {
    pipeline(0);
    control.configure(DetailPolicy.off());
    Path window = dir.resolve("late");
    windows.openSteps(5, window, false);
    // As if the policy had not reached the hot path yet: the window's whole range is counted, not detailed.
    Sampling.install(DetailPolicy.off().toSampling(null));
    train(5 + TraceWindow.SLACK_STEPS + 4, i -> 0);
    assertTrue(all.stream().noneMatch(Step::detailed), "the range went by undetailed");
    assertEquals(1, windows.rearmed(), "moved on once");
    assertEquals("open", System.getProperty(AgentStatus.WINDOW_STATE));
    all.clear();
    train(10, i -> 0);
    assertEquals("done", System.getProperty(AgentStatus.WINDOW_STATE), "the window got its steps");
    JsonNode summary = new ObjectMapper().readTree(window.resolve("summary.json").toFile());
    assertEquals(5, summary.get("steps").size(), summary::toString);
    assertEquals(1, windows.rearmed());
  }

  @Test
  void aDurationWindowHoldsTheDetailedStepsThatStartWithinIt() throws Exception {
    pipeline(0);
    control.configure(DetailPolicy.off());
    Path window = dir.resolve("duration");
    String opened = windows.openDuration(500_000_000L, window, false);
    assertTrue(opened.startsWith("window") && opened.contains("into " + window), opened);
    train(100, i -> 10); // at least 1 s of 10 ms steps: the 500 ms window closes on a step that starts after it
    JsonNode summary = new ObjectMapper().readTree(window.resolve("summary.json").toFile());
    int inWindow = summary.get("steps").size();
    // At most 51 steps of 10 ms start within 500 ms; at least one, however late the thread was scheduled.
    assertTrue(inWindow >= 1 && inWindow <= 51, "steps in the window: " + inWindow);
    assertEquals(inWindow, all.stream().filter(Step::detailed).count(), "exactly the detailed steps");
    assertEquals("done", System.getProperty(AgentStatus.WINDOW_STATE));
  }

  /**
   * A memory window leaves its steps counted and has each take the creation sites of its tensors: a tensor kept
   * per step shows in every snapshot of the window, one more each step; before and after it, no step walks a stack.
   */
  @Test
  void aMemoryWindowTakesCountedStepsWithTheirTensorsCreationSites() throws Exception {
    pipeline(0);
    control.configure(new DetailPolicy(Mode.DEFAULT, 1_000_000, 0, 0, 200, true));
    List<Object> kept = new ArrayList<>();
    Runnable keepOne = () -> {
      Object tensor = new Object();
      kept.add(tensor);
      io.mltrace.bootstrap.TensorLife.created(tensor, 4096);
    };
    try {
      train(5, i -> 0, 20, keepOne);
      assertTrue(all.stream().allMatch(s -> s.memory().sites().isEmpty()), "no sites before the window");
      Path window = dir.resolve("memory");
      String opened = windows.openSteps(6, window, true);
      assertTrue(opened.startsWith("window 1 open: 6 steps of creation sites"), opened);
      all.clear();
      train(12, i -> 0, 20, keepOne);
      assertEquals("done", System.getProperty(AgentStatus.WINDOW_STATE));
      JsonNode summary = new ObjectMapper().readTree(window.resolve("summary.json").toFile());
      assertEquals(6, summary.get("steps").size(), summary::toString);
      long previous = 0;
      for (JsonNode s : summary.get("steps")) {
        assertFalse(s.get("detailed").asBoolean(), "a memory window details nothing: " + s);
        JsonNode top = s.get("memory").get("sites").get(0);
        assertTrue(top.get("site").asText().startsWith(getClass().getName() + ".lambda$"), s::toString);
        assertTrue(top.get("count").asLong() > previous, "one more kept tensor each step: " + s);
        previous = top.get("count").asLong();
      }
      assertTrue(all.stream().noneMatch(Step::detailed));
      all.clear();
      train(3, i -> 0, 1, keepOne); // the window closed: steps from now on walk no stack
      assertTrue(all.stream().allMatch(st -> st.memory().sites().isEmpty()), "no stack walk after the window");
    } finally {
      for (Object tensor : kept) {
        io.mltrace.bootstrap.TensorLife.closed(tensor, 4096);
      }
    }
  }
}
