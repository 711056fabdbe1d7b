package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.Dl4jTrace.Event;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLP with an iterator that DL4J wraps in its {@code AsyncDataSetIterator}: batches (20 ms each) are fetched
 * on a prefetch thread while the training thread computes, and the training thread's ETL is its wait.
 */
class Dl4jAsyncEtlIT {
  static final int STEPS = 8;
  static final int SLEEP_US = 20_000;

  @TempDir
  static Path out;
  static Dl4jTrace t;

  @BeforeAll
  static void train() throws Exception {
    t = Dl4jTrace.run(out, "--model", "mlp", "--steps", String.valueOf(STEPS), "--sleep-us",
        String.valueOf(SLEEP_US), "--async", "true", "--outputs", "0");
  }

  @Test
  void prefetchFetchesAreSpansOutsideStepsOnTheirOwnThread() {
    assertEquals(STEPS, t.steps.size(), t.run::toString);
    long trainingThread = t.steps.get(0).tid();
    int prefetched = 0;
    for (Event e : t.named("etl")) {
      if (e.tid() != trainingThread) {
        prefetched++;
        assertEquals(0, e.step(), "a prefetch is in no step: " + e);
        assertEquals(0, e.json.get("args").get("parent_id").asLong());
        assertTrue(e.durUs() >= SLEEP_US, e::toString);
      }
    }
    assertEquals(STEPS, prefetched, "every batch was fetched on the prefetch thread");
  }

  @Test
  void theTrainingThreadWaitsForThePrefetchInsideEachStep() {
    Matcher m = Pattern.compile("iterator next\\(\\) ns (\\d+)").matcher(t.run.stdout);
    assertTrue(m.find(), t.run::toString);
    long fetching = Long.parseLong(m.group(1));
    long waited = t.summary.get("totals").get("breakdown_ns").get("data").asLong();
    for (Event step : t.steps) {
      assertTrue(!step.children("etl.hasNext").isEmpty(), "the wait is in AsyncDataSetIterator.hasNext: " + step);
      assertEquals(1, step.children("optimize").size());
    }
    assertTrue(waited > 0 && waited < fetching, "prefetch overlaps compute: waited " + waited + " of " + fetching);
  }
}
