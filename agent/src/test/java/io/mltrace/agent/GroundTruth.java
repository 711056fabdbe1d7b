package io.mltrace.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Ground truth the JVM itself recorded, and small readers of {@code summary.json}, for the accounting tests. */
final class GroundTruth {
  private GroundTruth() {}

  /**
   * For each {@code System.gc()} pause, in time order: its duration, and the summed durations of the other GC pauses
   * (the young collections the job triggers by itself) that start within {@code windowNs} of it, which may fall in
   * the same step.
   */
  static List<long[]> systemGcPausesWithNeighbours(Path jfr, long windowNs) throws IOException {
    Set<Long> systemGcIds = new HashSet<>();
    List<RecordedEvent> pauses = new ArrayList<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
      String type = e.getEventType().getName();
      if (type.equals("jdk.GarbageCollection") && "System.gc()".equals(e.getString("cause"))) {
        systemGcIds.add(e.getLong("gcId"));
      } else if (type.equals("jdk.GCPhasePause")) {
        pauses.add(e);
      }
    }
    pauses.sort((a, b) -> a.getStartTime().compareTo(b.getStartTime()));
    List<long[]> out = new ArrayList<>();
    for (RecordedEvent p : pauses) {
      if (!systemGcIds.contains(p.getLong("gcId"))) {
        continue;
      }
      long near = 0;
      for (RecordedEvent q : pauses) {
        long apart = Math.abs(java.time.Duration.between(p.getStartTime(), q.getStartTime()).toNanos());
        if (!systemGcIds.contains(q.getLong("gcId")) && apart <= windowNs) {
          near += q.getDuration().toNanos();
        }
      }
      out.add(new long[] {p.getDuration().toNanos(), near});
    }
    return out;
  }

  /**
   * Each chosen step's {@code gc} against the {@code System.gc()} pause the job forced in it (the JVM's own record in
   * {@code jfr}): within 5 %; or, where a young collection the job triggered by itself started near it and may fall
   * in the same step, between 95 % of the forced pause and 105 % of both. Nothing else may be counted as gc.
   */
  static void assertForcedGcRecovered(Path jfr, JsonNode steps, List<Integer> gcSteps) throws IOException {
    long longestStep = 0;
    for (JsonNode s : steps) {
      longestStep = Math.max(longestStep, s.get("wall_ns").asLong());
    }
    List<long[]> pauses = systemGcPausesWithNeighbours(jfr, longestStep);
    org.junit.jupiter.api.Assertions.assertEquals(gcSteps.size(), pauses.size(), "one System.gc() pause per chosen step");
    for (int i = 0; i < gcSteps.size(); i++) {
      long gc = ns(steps.get(gcSteps.get(i) - 1), "gc");
      long truth = pauses.get(i)[0];
      long withNeighbours = truth + pauses.get(i)[1];
      org.junit.jupiter.api.Assertions.assertTrue(Math.abs(gc - truth) <= 0.05 * truth || pauses.get(i)[1] > 0
          && gc >= 0.95 * truth && gc <= 1.05 * withNeighbours, "step " + gcSteps.get(i) + ": gc " + gc + " vs "
          + truth + " (other GC pauses near it: " + pauses.get(i)[1] + " ns)");
    }
  }

  /** One category of one step entry of summary.json. */
  static long ns(JsonNode step, String category) {
    return step.get("breakdown_ns").get(category).asLong();
  }
}
