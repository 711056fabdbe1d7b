package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merging a PyTorch profiler trace (the format DJL's {@code stopProfile} writes) under the backward span. */
class EngineProfileTest {
  /** Three events as PyTorch writes them: a forward mm (before backward), an autograd function and its mm. */
  static final String TRACE = "[\n\n{\n  \"name\": \"aten::mm\",\n  \"ph\": \"X\",\n  \"ts\": 100.5,\n"
      + "  \"dur\": 50.0,\n  \"tid\": 1,\n  \"pid\": \"CPU Functions\",\n  \"shape\": [[64, 784], [784, 128]],\n"
      + "  \"cpu mem\": \"0 b\",\n  \"args\": {}\n},\n\n"
      + "{\n  \"name\": \"autograd::engine::evaluate_function: MmBackward0\",\n  \"ph\": \"X\",\n"
      + "  \"ts\": 1000.0,\n  \"dur\": 300.0,\n  \"tid\": 1,\n  \"args\": {}\n},\n\n"
      + "{\n  \"name\": \"aten::mm\",\n  \"ph\": \"X\",\n  \"ts\": 1010.0,\n  \"dur\": 280.0,\n  \"args\": {}\n}\n]\n";

  private static Path writeTrace(Path dir) throws java.io.IOException {
    Path file = dir.resolve("profile.json");
    Files.writeString(file, TRACE);
    return file;
  }

  /** A detailed, profiled step opened just before {@code origin}, whose advice read the profiler's start as given. */
  private static ThreadRecorder profiledStep(long origin, long startRead) {
    ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), 0, 64);
    tr.openStep(origin - 5_000, true);
    tr.profile().reset(true);
    tr.profile().started(startRead);
    return tr;
  }

  @Test
  void eventsInsideBackwardBecomeMeasuredChildrenAndTheFileIsRemoved(@TempDir Path dir) throws Exception {
    Path file = writeTrace(dir);
    long origin = 1_000_000_000L;
    ThreadRecorder tr = profiledStep(origin, origin);
    long backwardId = 77;
    tr.profile().backward(backwardId, origin + 900_000, origin + 1_400_000);

    assertEquals(2, EngineProfile.merge(tr, file.toString()));
    assertFalse(Files.exists(file));

    List<String> names = new ArrayList<>();
    List<long[]> records = new ArrayList<>();
    tr.drain((source, r, base, name) -> {
      names.add(name);
      records.add(new long[] {Slots.kind(r[base + Slots.HEADER]), r[base + Slots.START], r[base + Slots.END],
          r[base + Slots.PARENT_ID], r[base + Slots.HEADER]});
    });
    assertEquals(List.of("MmBackward0", "aten::mm"), names, "the forward mm lies outside backward");
    assertEquals(Kind.OP_OTHER, records.get(0)[0]);
    assertEquals(origin + 1_000_000, records.get(0)[1]);
    assertEquals(origin + 1_300_000, records.get(0)[2]);
    assertEquals(Kind.OP_GEMM, records.get(1)[0]);
    assertEquals(origin + 1_010_000, records.get(1)[1]);
    assertEquals(origin + 1_290_000, records.get(1)[2]);
    assertEquals(backwardId, records.get(1)[3]);
    assertFalse(Slots.isEstimate(records.get(1)[4]), "measured, not estimated");
  }

  /**
   * The advice reads the profiler's start right after enabling it, so late; a thread descheduled in between reads it
   * later still, and with that origin the events map past the backward span (a clean-clone CI run once merged none).
   * The origin is moved by just enough to bring the profile's autograd functions inside the span.
   */
  @Test
  void anOriginReadLateIsMovedUntilTheProfilesBackwardPassFitsTheSpan(@TempDir Path dir) throws Exception {
    Path file = writeTrace(dir);
    long origin = 1_000_000_000L;
    ThreadRecorder tr = profiledStep(origin, origin + 4_000_000); // read 4 ms after the profiler's real start
    tr.profile().backward(77, origin + 990_000, origin + 1_400_000);

    assertEquals(2, EngineProfile.merge(tr, file.toString()));
    List<long[]> records = new ArrayList<>();
    tr.drain((source, r, base, name) -> records.add(new long[] {r[base + Slots.START], r[base + Slots.END]}));
    // The autograd function (ts 1000 us, 300 us long) ends where backward ends; the mm inside it keeps its place.
    assertEquals(origin + 1_100_000, records.get(0)[0]);
    assertEquals(origin + 1_400_000, records.get(0)[1]);
    assertEquals(origin + 1_110_000, records.get(1)[0]);
    assertEquals(origin + 1_390_000, records.get(1)[1]);
  }

  /**
   * Late by less than a millisecond (the old tolerance), the reading put a short backward pass's last GEMM past the
   * span's end, where it was clipped away; the autograd functions' own extent decides instead.
   */
  @Test
  void theOriginStandsOnlyWhereTheAutogradFunctionsFitTheBackwardSpan() {
    long origin = 1_000_000_000L;
    long from = origin + 950_000;
    long to = origin + 1_320_000;
    // Functions from 1000 to 1300 us after the origin; read 150 us late: moved back by the 130 us they overran.
    assertEquals(origin + 20_000, EngineProfile.origin(origin + 150_000, from, to, 1000.0, 1300.0));
    assertEquals(origin, EngineProfile.origin(origin, from, to, 1000.0, 1300.0), "inside the span: the reading stands");
    assertEquals(origin + 50_000, EngineProfile.origin(origin + 50_000, from, to, 1000.0, 1270.0),
        "inside the span, late by 50 us: not moved, since nothing tells");
    assertEquals(origin - 50_000, EngineProfile.origin(origin - 100_000, from, to, 1000.0, 1300.0),
        "early (not seen): moved until the first function starts with the span");
    assertEquals(origin + 150_000, EngineProfile.origin(origin + 150_000, from, to, Double.NaN, Double.NaN),
        "no autograd function: nothing to align");
    assertEquals(origin + 250_000, EngineProfile.origin(origin, origin + 1_250_000, origin + 1_400_000, 1000.0,
        1300.0), "functions longer than the span (not seen): the first at its start");
  }

  @Test
  void nothingIsMergedWithoutABackwardSpanOrAFile(@TempDir Path dir) throws Exception {
    ThreadRecorder tr = new ThreadRecorder(Thread.currentThread(), 0, 64);
    tr.openStep(1, true);
    tr.profile().reset(true);
    tr.profile().started(10);
    assertEquals(0, EngineProfile.merge(tr, dir.resolve("absent.json").toString()));
    Path file = dir.resolve("profile.json");
    Files.writeString(file, TRACE);
    assertEquals(0, EngineProfile.merge(tr, file.toString()), "no backward pass was recorded in the step");
  }
}
