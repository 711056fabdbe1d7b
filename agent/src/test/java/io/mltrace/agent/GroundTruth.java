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

  /** Durations of the GC pauses that {@code System.gc()} caused, in time order, from a .jfr file. */
  static List<Long> systemGcPauseNanos(Path jfr) throws IOException {
    List<Long> out = new ArrayList<>();
    for (long[] p : systemGcPausesWithNeighbours(jfr, -1)) {
      out.add(p[0]);
    }
    return out;
  }


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

  /** One category of one step entry of summary.json. */
  static long ns(JsonNode step, String category) {
    return step.get("breakdown_ns").get(category).asLong();
  }
}
