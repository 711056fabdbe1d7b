package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gate that holds the first steps until JFR records: it waits, releases, and never waits past its bound. */
class StepGateTest {
  @AfterEach
  void open() {
    StepGate.release();
  }

  @Test
  void anOpenGateCostsNoWait() {
    StepGate.release();
    assertFalse(StepGate.pass());
  }

  @Test
  void aHeldStepOpensWhenTheGateIsReleased() throws Exception {
    StepGate.hold(10_000);
    AtomicLong passedAt = new AtomicLong();
    CountDownLatch waiting = new CountDownLatch(1);
    Thread step = new Thread(() -> {
      waiting.countDown();
      StepGate.pass();
      passedAt.set(System.nanoTime());
    });
    step.start();
    waiting.await();
    Thread.sleep(150);
    assertTrue(step.isAlive(), "the step opened while the gate was held");
    long releasedAt = System.nanoTime();
    StepGate.release();
    step.join(5000);
    assertTrue(passedAt.get() >= releasedAt, "the step opened before the release");
    assertFalse(StepGate.isHeld());
  }

  /**
   * The agent's later start-up work waits for the first step to begin: a step opening ends the wait, open gate or
   * held. (Once reached, for good: where an earlier test in this JVM passed the gate, only that part is checked.)
   */
  @Test
  void aWaitForTheFirstStepEndsWhenAStepOpens() throws Exception {
    if (!StepGate.firstStepReached()) {
      assertFalse(StepGate.awaitFirstStep(50), "no step has opened yet");
    }
    CountDownLatch reached = new CountDownLatch(1);
    Thread waiter = new Thread(() -> {
      if (StepGate.awaitFirstStep(10_000)) {
        reached.countDown();
      }
    });
    waiter.start();
    StepGate.release();
    StepGate.pass();
    assertTrue(reached.await(5, TimeUnit.SECONDS), "the wait did not end when a step opened");
    assertTrue(StepGate.awaitFirstStep(0), "reached for good");
  }

  @Test
  void theBoundOpensTheGateForGood() {
    StepGate.hold(100);
    long t0 = System.nanoTime();
    assertTrue(StepGate.pass(), "a held gate made no wait");
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(waitedMs >= 90 && waitedMs < 5000, "waited " + waitedMs + " ms for a bound of 100");
    assertFalse(StepGate.isHeld(), "the gate stayed held past its bound");
    assertFalse(StepGate.pass(), "a later step waited again");
  }

  @Test
  void anInterruptedThreadGoesOnAndKeepsItsInterrupt() {
    StepGate.hold(10_000);
    Thread.currentThread().interrupt();
    try {
      long t0 = System.nanoTime();
      StepGate.pass();
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5000, "an interrupted thread waited");
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt was swallowed");
    } finally {
      Thread.interrupted();
    }
  }
}
