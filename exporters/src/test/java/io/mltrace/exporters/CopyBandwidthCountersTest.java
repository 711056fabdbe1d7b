package io.mltrace.exporters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mltrace.collector.ActivityKind;
import io.mltrace.collector.Category;
import io.mltrace.collector.ExternalActivity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bandwidth counter points of overlapping transfers on two streams and two devices. */
class CopyBandwidthCountersTest {
  static ExternalActivity copy(int device, int stream, String direction, long start, long end, long bytes) {
    return new ExternalActivity(ExternalActivity.Origin.GPU, Category.MEMCPY, "memcpy " + direction, 0, start, end,
        0, device, stream, bytes, direction);
  }

  @Test
  void concurrentTransfersOfOneDirectionAddUpAndEachDirectionHasItsTrack() throws Exception {
    List<ExternalActivity> activities = List.of(
        copy(0, 7, "H2D", 1_000, 3_000, 20_000), // 10 GB/s
        copy(0, 8, "H2D", 2_000, 4_000, 4_000), // 2 GB/s, overlapping the first from 2 to 3 µs
        copy(0, 8, "D2H", 5_000, 6_000, 1_000), // 1 GB/s
        copy(1, 7, "H2D", 1_000, 2_000, 3_000), // another device: its own track
        ExternalActivity.gpu(ActivityKind.GPU_MEMSET, Category.OTHER_COMPUTE, "memset", 6_000, 7_000, 0, 0, 7, 500,
            null, 0, 0),
        new ExternalActivity(ExternalActivity.Origin.GPU, Category.GEMM, "sgemm", 0, 0, 9_000, 0, 0, 7, 0, null));
    StringBuilder out = new StringBuilder("[{}");
    CopyBandwidthCounters.append(out, activities, 0);
    JsonNode events = new ObjectMapper().readTree(out.append(']').toString());
    List<String> points = new ArrayList<>();
    for (int i = 1; i < events.size(); i++) {
      JsonNode e = events.get(i);
      assertEquals("C", e.get("ph").asText());
      points.add(e.get("pid").asInt() + " " + e.get("name").asText() + " " + e.get("ts").asDouble() + " "
          + e.get("args").get("GB/s").asDouble());
    }
    assertEquals(List.of(
        "1000 H2D bandwidth 1.0 10.0", "1000 H2D bandwidth 2.0 12.0", "1000 H2D bandwidth 3.0 2.0",
        "1000 H2D bandwidth 4.0 0.0",
        "1000 D2H bandwidth 5.0 1.0", "1000 D2H bandwidth 6.0 0.0",
        "1001 H2D bandwidth 1.0 3.0", "1001 H2D bandwidth 2.0 0.0",
        "1000 memset bandwidth 6.0 0.5", "1000 memset bandwidth 7.0 0.0"), points);
  }
}
