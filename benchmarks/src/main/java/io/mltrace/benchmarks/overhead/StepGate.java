package io.mltrace.benchmarks.overhead;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The job's side of the lockstep protocol that {@link LockstepPair} drives. Free-running (the default), a job
 * simply takes its {@code --steps}. With {@code --lockstep true} it prints {@code ready} once its setup is done,
 * then before every step blocks until the harness writes {@code step} on its standard input, and after the step
 * prints {@code done <ns>}; {@code stop} (or the end of its input) ends the loop. With {@code --turn-steps N} a turn
 * is N steps back to back and {@code done} reports their total: the other JVM then runs between every N steps
 * only, so that a step mostly starts with the caches its own JVM left, as in a job that runs alone. The wait sits
 * outside the step the job times. The agent, whose steps run back to back (the end of one opens the next), counts
 * it in its own step as unattributed time: its overhead guard therefore sees a smaller share than in a free-running
 * job.
 */
final class StepGate {
  private final boolean lockstep;
  private final int steps;
  private final int turnSteps;
  private final BufferedReader turns;
  private int stepsThisTurn;
  private long turnNs;

  private StepGate(boolean lockstep, int steps, int turnSteps) {
    this.lockstep = lockstep;
    this.steps = steps;
    this.turnSteps = Math.max(1, turnSteps);
    this.turns = lockstep ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)) : null;
  }

  /** {@code --lockstep true|false}, and {@code --turn-steps N}: steps per turn, back to back (default 1). */
  static StepGate fromArgs(String[] args, int steps) {
    String lockstep = Args.stringArg(args, "--lockstep", "false");
    return new StepGate(Boolean.parseBoolean(lockstep), steps, Args.intArg(args, "--turn-steps", 1));
  }

  boolean lockstep() {
    return lockstep;
  }

  /**
   * Setup is done: the harness may hand out turns. In lockstep the line carries the milliseconds since the process
   * started (agent start-up, framework loading and the job's setup), from which the harness counts the time to the
   * first step.
   */
  void ready() {
    System.out.println(lockstep ? "ready " + millisSinceProcessStart() : "training");
    System.out.flush();
  }

  /**
   * The loop has ended: prints the Java heap still in use after a full GC ({@code heap_used <bytes>}: a profiler's
   * or agent's heap shows as the difference between the two sides of a pair) and, when the job drove a profiler
   * that wrote files, {@code output_bytes <bytes>}.
   */
  void finished(long outputBytes) {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    System.out.println("heap_used " + (runtime.totalMemory() - runtime.freeMemory()));
    if (outputBytes > 0) {
      System.out.println("output_bytes " + outputBytes);
    }
    System.out.flush();
  }

  private static long millisSinceProcessStart() {
    return ProcessHandle.current().info().startInstant()
        .map(start -> java.time.Duration.between(start, java.time.Instant.now()).toMillis()).orElse(-1L);
  }

  /** Whether step {@code index} (from 0) should run; in lockstep, blocks until the harness says. */
  boolean awaitTurn(int index) throws IOException {
    if (!lockstep) {
      return index < steps;
    }
    if (stepsThisTurn > 0) {
      return true;
    }
    String line = turns.readLine();
    return line != null && line.equals("step");
  }

  /** A step took {@code ns}; the turn's last step reports the turn's total. */
  void stepDone(long ns) {
    if (!lockstep) {
      return;
    }
    turnNs += ns;
    if (++stepsThisTurn == turnSteps) {
      System.out.println("done " + turnNs);
      System.out.flush();
      stepsThisTurn = 0;
      turnNs = 0;
    }
  }
}
