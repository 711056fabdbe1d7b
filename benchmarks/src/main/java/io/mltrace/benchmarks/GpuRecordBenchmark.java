package io.mltrace.benchmarks;

import io.mltrace.bootstrap.GpuNative;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.gpu.GpuStats;
import io.mltrace.gpu.FakeCupti;
import io.mltrace.gpu.GpuTracing;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost per GPU record from CUPTI's buffer to an {@link ExternalActivity} on the collector thread: the bridge
 * parses a completed buffer (each kernel record comes with its runtime API and external-correlation records, as
 * real CUPTI emits them), joins the kernel to its span, writes the 80-byte ring record, and Java drains it.
 * Each invocation first launches {@value #RECORDS} kernels on the fake libcupti (not timed), then times the
 * forced flush (the parse) and the drain. With {@code kind=memory} the records are device allocations and releases
 * (MEMORY2, each with its API and correlation records) instead, half of each.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GpuRecordBenchmark {
  static final int RECORDS = 1000;

  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  @Param({"kernel", "memory"})
  public String kind;

  private GpuTracing gpu;
  private final List<ExternalActivity> out = new ArrayList<>(RECORDS);
  private long cpuNs;
  private long timedRecords;

  @Setup(Level.Trial)
  public void setUp() {
    FakeCupti.configure(-1, false, false, false);
    gpu = GpuTracing.start(new GpuTracing.Options().cuptiPath(FakeCupti.PATH).buffers(4, 8 << 20)
        .flushIntervalMillis(Long.MAX_VALUE / 2_000_000), System.err::println);
    if (!gpu.enable() || kind.equals("memory") && !gpu.trackMemory()) {
      throw new IllegalStateException("GPU tracing did not start: " + gpu.unavailableReason());
    }
    GpuNative.push0(1L << 40 | 7); // every launch below is inside "span" 7 of thread 0
  }

  @Setup(Level.Invocation)
  public void launch() {
    for (int i = 0; i < RECORDS; i++) {
      if (kind.equals("memory")) {
        long address = 0x7f00_0000_0000L + (i / 2) * 4096L;
        if (i % 2 == 0) {
          FakeCupti.allocate(address, 4096);
        } else {
          FakeCupti.free(address, 4096);
        }
      } else {
        FakeCupti.launchKernel("volta_sgemm_128x64_nn", 0);
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public int parseJoinAndDrain() {
    long cpu0 = CPU.getCurrentThreadCpuTime();
    GpuNative.flush0(true);
    out.clear();
    gpu.source().drainTo(out);
    cpuNs += CPU.getCurrentThreadCpuTime() - cpu0;
    timedRecords += RECORDS;
    if (out.size() != RECORDS) {
      throw new IllegalStateException("expected " + RECORDS + " records, drained " + out.size());
    }
    return out.size();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    GpuNative.pop0();
    GpuStats stats = gpu.stats();
    long parsed = stats.gpuRecordsParsed() + stats.memoryRecordsParsed();
    System.out.printf("%nbridge parse (wall): %.1f ns per %s record (its API and correlation records included); "
        + "parse+join+drain (thread CPU time): %.1f ns per record; unresolved %d%n",
        (double) stats.parseNs() / Math.max(1, parsed), kind, (double) cpuNs / Math.max(1, timedRecords),
        stats.unresolved());
    gpu.finish();
  }
}
