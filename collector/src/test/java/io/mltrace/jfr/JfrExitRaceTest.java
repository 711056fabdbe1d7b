package io.mltrace.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that ends while the agent's JFR stream is still starting ends promptly. The JVM's JFR shutdown hook destroys
 * JFR's recorder thread; a recording started after that waits for it forever while holding JFR's lock, and the
 * agent's shutdown hook, closing the stream, waited on that lock: a clean-clone CI run's short inference job hung
 * for its whole 180 s.
 */
class JfrExitRaceTest {
  @TempDir
  Path dir;

  @Test
  void aStreamWhoseJvmIsShuttingDownIsNeverStarted() throws Exception {
    Ended run = runChild("probe");
    assertEquals(0, run.exitCode, run.output);
    assertTrue(run.output.contains("JFR's shutdown hook has run"), "the race was set up: " + run.output);
    assertTrue(run.millis < JfrSource.CLOSE_BOUND_MILLIS, "ended without waiting for the close bound: " + run);
  }

  @Test
  void aStartThatLostTheRaceHoldsTheExitNoLongerThanTheCloseBound() throws Exception {
    Ended run = runChild("forced");
    assertEquals(0, run.exitCode, run.output);
    assertTrue(run.output.contains("JFR's shutdown hook has run"), "the race was set up: " + run.output);
    // The start hangs for good (what the probe prevents), so the close waits out its bound, and no more.
    assertTrue(run.millis >= JfrSource.CLOSE_BOUND_MILLIS, "the start did hang: " + run);
    assertTrue(run.millis < JfrSource.CLOSE_BOUND_MILLIS + 15_000, run.toString());
  }

  private record Ended(int exitCode, long millis, String output) {
  }

  private Ended runChild(String mode) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String cp = Paths.get("target", "classes").toAbsolutePath() + File.pathSeparator
        + Paths.get("target", "test-classes").toAbsolutePath();
    Path out = dir.resolve(mode + ".txt");
    Process p = new ProcessBuilder(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-cp", cp,
        ExitWhileJfrStarts.class.getName(), mode))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    long started = System.nanoTime();
    boolean ended = p.waitFor(60, TimeUnit.SECONDS);
    long millis = (System.nanoTime() - started) / 1_000_000;
    if (!ended) {
      p.destroyForcibly();
      throw new AssertionError("the JVM did not end in 60 s:\n" + Files.readString(out));
    }
    return new Ended(p.exitValue(), millis, Files.readString(out));
  }
}
