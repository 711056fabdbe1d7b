package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mltrace.agent.control.DetailControl;
import io.mltrace.agent.control.OverheadGuard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The overhead guard's hot-path calibration: its rounds and pauses, and none once the job is ending. */
class GuardCalibrationTest {
  private final OverheadGuard guard =
      new OverheadGuard(new DetailControl(new PrintStream(new ByteArrayOutputStream())), null, 1);

  @Test
  void aJobThatRunsOnGetsEveryRoundAfterItsPause() throws Exception {
    List<Long> pauses = new ArrayList<>();
    assertEquals(AgentRuntime.CALIBRATION_ROUNDS, AgentRuntime.calibrateGuard(guard, pauses::add, () -> false));
    assertEquals(List.of(5_000L, 10_000L, 10_000L), pauses);
  }

  @Test
  void noRoundStartsOnceTheJobIsEnding() throws Exception {
    AtomicBoolean exiting = new AtomicBoolean();
    List<Long> pauses = new ArrayList<>();
    // The job ends while the calibration waits for its first round (a job that lived about 5 s).
    int rounds = AgentRuntime.calibrateGuard(guard, millis -> {
      pauses.add(millis);
      exiting.set(true);
    }, exiting::get);
    assertEquals(0, rounds);
    assertEquals(List.of(5_000L), pauses);
  }

  @Test
  void anEndingBetweenRoundsStopsTheRest() throws Exception {
    AtomicBoolean exiting = new AtomicBoolean();
    List<Long> pauses = new ArrayList<>();
    int rounds = AgentRuntime.calibrateGuard(guard, millis -> {
      pauses.add(millis);
      exiting.set(pauses.size() == 2);
    }, exiting::get);
    assertEquals(1, rounds);
  }
}
