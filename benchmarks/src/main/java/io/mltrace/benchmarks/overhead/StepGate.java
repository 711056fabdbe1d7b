package io.mltrace.benchmarks.overhead;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The job's side of the lockstep protocol that {@link LockstepPair} drives. Free-running (the default), a job
 * simply takes its {@code --steps}. With {@code --lockstep true} it prints {@code ready} once its setup is done,
 * then before every step blocks until the harness writes {@code step} on its standard input, and after the step
 * prints {@code done <ns>}; {@code stop} (or the end of its input) ends the loop. The wait sits outside the step
 * the job times. The agent, whose steps run back to back (the end of one opens the next), counts it in its own
 * step as unattributed time: its overhead guard therefore sees a smaller share than in a free-running job.
 */
final class StepGate {
  private final boolean lockstep;
  private final int steps;
  private final BufferedReader turns;

  private StepGate(boolean lockstep, int steps) {
    this.lockstep = lockstep;
    this.steps = steps;
    this.turns = lockstep ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)) : null;
  }

  static StepGate fromArgs(String[] args, int steps) {
    String lockstep = Args.stringArg(args, "--lockstep", "false");
    return new StepGate(Boolean.parseBoolean(lockstep), steps);
  }

  boolean lockstep() {
    return lockstep;
  }

  /** Setup is done: the harness may hand out turns. */
  void ready() {
    System.out.println(lockstep ? "ready" : "training");
    System.out.flush();
  }

  /** Whether step {@code index} (from 0) should run; in lockstep, blocks until the harness says. */
  boolean awaitTurn(int index) throws IOException {
    if (!lockstep) {
      return index < steps;
    }
    String line = turns.readLine();
    return line != null && line.equals("step");
  }

  void stepDone(long ns) {
    if (lockstep) {
      System.out.println("done " + ns);
      System.out.flush();
    }
  }
}
