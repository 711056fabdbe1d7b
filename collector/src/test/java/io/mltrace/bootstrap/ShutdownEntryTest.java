package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The entry woven into {@code Shutdown.exit}: once, bounded, and nothing escapes into the ending JVM. */
class ShutdownEntryTest {
  @Test
  void theActionRunsOnceWhoeverCallsAgain() {
    AtomicInteger runs = new AtomicInteger();
    AtomicBoolean ran = new AtomicBoolean();
    ShutdownEntry.runOnce(runs::incrementAndGet, ran, 1000);
    ShutdownEntry.runOnce(runs::incrementAndGet, ran, 1000);
    assertEquals(1, runs.get());
    assertTrue(ran.get());
  }

  @Test
  void theCallerWaitsUntilTheActionIsDone() {
    AtomicBoolean done = new AtomicBoolean();
    ShutdownEntry.runOnce(() -> {
      sleep(100);
      done.set(true);
    }, new AtomicBoolean(), 5000);
    assertTrue(done.get(), "the exit went on before the action ended");
  }

  @Test
  void anActionThatThrowsDoesNotReachTheCaller() {
    AtomicBoolean ran = new AtomicBoolean();
    ShutdownEntry.runOnce(() -> {
      throw new IllegalStateException("the collector failed");
    }, ran, 1000);
    assertTrue(ran.get());
  }

  @Test
  void anActionThatHangsDelaysTheExitByTheBoundOnly() {
    CountDownLatch never = new CountDownLatch(1);
    long t0 = System.nanoTime();
    ShutdownEntry.runOnce(() -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, new AtomicBoolean(), 200);
    long waitedMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(waitedMs >= 190 && waitedMs < 5000, "waited " + waitedMs + " ms for a bound of 200");
    never.countDown();
  }

  @Test
  void anInterruptedCallerGoesOnAndKeepsItsInterrupt() {
    AtomicBoolean done = new AtomicBoolean();
    Thread.currentThread().interrupt();
    try {
      ShutdownEntry.runOnce(() -> {
        sleep(300);
        done.set(true);
      }, new AtomicBoolean(), 5000);
      assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt was swallowed");
      assertFalse(done.get(), "an interrupted caller waited anyway");
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void nothingInstalledNothingRuns() {
    AtomicBoolean ran = new AtomicBoolean();
    ShutdownEntry.runOnce(null, ran, 1000);
    assertFalse(ran.get(), "a later install would never run");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
