package io.mltrace.benchmarks;

import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.exporters.ChromeTraceWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The trace file's periodic write (every {@code report_interval}) once {@link #stored} detailed steps are in it:
 * {@code newSteps}, the write after {@link #NEW_STEPS} more steps came (each stored step rendered once, then the
 * file's parts written); {@code wholeFile}, a writer rendering all of them at once, which is what every periodic
 * write cost before (and what the first write of a run still costs). Steps are real recorder steps of 6 spans each
 * (data, a phase with two GEMMs and an op, the optimizer), with a heap counter point.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 20)
@Fork(1)
public class TraceFlushBenchmark {
  static final int NEW_STEPS = 100;

  @Param({"1000", "20000"})
  public int stored;

  private final List<Step> steps = new ArrayList<>();
  private Path dir;
  private ChromeTraceWriter growing;
  private int fed;

  @Setup(Level.Trial)
  public void record() throws Exception {
    dir = Files.createTempDirectory("mltrace-trace-flush");
    Recorder.setEnabled(true);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Collector collector = Collector.create(List.of(steps::add), 1000, 0, 1_000_000);
    Thread trainer = new Thread(() -> {
      for (int i = 0; i < stored + NEW_STEPS; i++) {
        iteration();
        if (i % 500 == 0) {
          collector.drainOnce();
        }
      }
    }, "trainer");
    trainer.start();
    trainer.join();
    collector.close();
    Recorder.setEnabled(false);
    if (steps.size() != stored + NEW_STEPS) {
      throw new IllegalStateException("recorded " + steps.size() + " steps");
    }
  }

  /** One DJL iteration as the advice records it (the shape of {@code CollectorTest.iteration}). */
  private static void iteration() {
    ThreadRecorder data = Recorder.enterStepPart();
    Recorder.exitSpan(data, Kind.DATA, "data");
    ThreadRecorder phase = Recorder.enterStepPart();
    ThreadRecorder gemm = Recorder.enterOp();
    Recorder.exitGemm(gemm, "linear", GemmShapes.LINEAR, new long[] {64, 784}, new long[] {128, 784});
    ThreadRecorder op = Recorder.enterOp();
    Recorder.exitOp(op, Kind.OP_OTHER, "relu");
    ThreadRecorder gemm2 = Recorder.enterOp();
    Recorder.exitGemm(gemm2, "linear", GemmShapes.LINEAR, new long[] {64, 128}, new long[] {10, 128});
    Recorder.exitSpan(phase, Kind.PHASE, "trainBatch");
    ThreadRecorder opt = Recorder.enterStepPart();
    Recorder.exitStepEnd(opt, "optimizer");
  }

  /**
   * A writer that wrote the file with {@link #stored} steps in it, the next {@link #NEW_STEPS} not yet given: one
   * write measured per iteration (single shot), as a job makes one every report interval.
   */
  @Setup(Level.Iteration)
  public void writtenOnce() {
    growing = new ChromeTraceWriter(dir.resolve("growing.json"), Integer.MAX_VALUE);
    for (fed = 0; fed < stored; fed++) {
      growing.onStep(steps.get(fed));
    }
    growing.flush(null);
  }

  @Benchmark
  public ChromeTraceWriter newSteps() {
    for (int i = fed; i < fed + NEW_STEPS; i++) {
      growing.onStep(steps.get(i));
    }
    growing.flush(null);
    return growing;
  }

  @Benchmark
  public ChromeTraceWriter wholeFile() {
    ChromeTraceWriter whole = new ChromeTraceWriter(dir.resolve("whole.json"), Integer.MAX_VALUE);
    for (Step s : steps) {
      whole.onStep(s);
    }
    whole.flush(null);
    return whole;
  }

  @TearDown(Level.Trial)
  public void removeFiles() throws IOException {
    Files.deleteIfExists(dir.resolve("growing.json"));
    Files.deleteIfExists(dir.resolve("whole.json"));
    Files.deleteIfExists(dir);
  }
}
