import io.mltrace.bootstrap.GpuNative;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.collector.Collector;
import io.mltrace.collector.ExternalActivity;
import io.mltrace.collector.Span;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import io.mltrace.collector.GpuIdleSplit;
import io.mltrace.gpu.GpuStats;
import io.mltrace.collector.GpuTimeline;
import io.mltrace.gpu.GpuTracing;
import io.mltrace.collector.LaunchStats;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.StepMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real-GPU check (see README.md). {@code direct}: GPU tracing in this JVM, then every record is checked against
 * the span that launched it and the costs are printed. {@code agent}: the same steps under the agent, whose exit
 * line run.sh checks; {@code agent leak}: 60 steps, each also leaking {@link #LEAK} device bytes from op
 * {@code leakyBuffer}, which run.sh expects the leak finder to name. Exit code 0 only when every check passed.
 */
public final class GpuCheck {
  static final int N = 1024;
  static final int STEPS = 20;
  static final int LEAK_STEPS = 60;
  /** Allocated in op {@code scale} and released in op {@code toHost}, every step. */
  static final long SCRATCH = 4L << 20;
  static final long LEAK = 2L << 20;

  static native String init(int n);
  static native int copyToDevice();
  static native int sgemm();
  static native int scale();
  static native int copyOnDevice();
  static native int copyToHost();
  static native int synchronize();
  static native float hostValue(int i);
  static native long allocate(long bytes);
  static native int release(long address);

  public static void main(String[] args) throws Exception {
    System.loadLibrary("gpucheck");
    String why = init(N);
    if (why != null) {
      System.out.println("gpu-check: CUDA unavailable: " + why);
      System.exit(2);
    }
    if (args.length > 0 && args[0].equals("agent")) {
      boolean leak = args.length > 1 && args[1].equals("leak");
      int steps = leak ? LEAK_STEPS : STEPS;
      for (int i = 0; i < steps; i++) {
        step();
        if (leak) {
          ThreadRecorder op = Recorder.enterOp();
          if (allocate(LEAK) == 0) {
            throw new IllegalStateException("cudaMalloc failed");
          }
          Recorder.exitOp(op, Kind.OP_OTHER, "leakyBuffer");
        }
      }
      System.out.println("gpu-check: ran " + steps + " steps under the agent" + (leak ? ", leaking " + LEAK
          + " device bytes per step from op leakyBuffer" : ""));
      return;
    }
    System.exit(direct(args.length > 1 ? args[1] : null) ? 0 : 1);
  }

  /** One training-like step: a data span with two H2D copies, a GEMM op, an elementwise op, two copy ops. */
  static void step() {
    ThreadRecorder data = Recorder.enterStepPart();
    check(copyToDevice());
    Recorder.exitSpan(data, Kind.DATA, "batch");
    // The compute ops inside a phase, as a framework's forward pass: time before a step's first phase is its input
    // gap (data), and ops there would count as the input pipeline's.
    ThreadRecorder forward = Recorder.enterStepPart();
    ThreadRecorder gemm = Recorder.enterOp();
    check(sgemm());
    Recorder.exitOp(gemm, Kind.OP_GEMM, "sgemm", 2L * N * N * N, 0, new long[] {N, N}, new long[] {N, N}, null);
    ThreadRecorder scale = Recorder.enterOp();
    long scratch = allocate(SCRATCH);
    check(scratch == 0 ? 1 : 0);
    check(scale());
    Recorder.exitOp(scale, Kind.OP_OTHER, "scale");
    ThreadRecorder dev = Recorder.enterOp();
    check(copyOnDevice());
    Recorder.exitOp(dev, Kind.OP_COPY, "copyOnDevice");
    ThreadRecorder back = Recorder.enterOp();
    check(copyToHost());
    check(release(scratch));
    Recorder.exitOp(back, Kind.OP_COPY, "toHost");
    Recorder.exitSpan(forward, Kind.PHASE, "forward");
    ThreadRecorder opt = Recorder.enterStepPart();
    check(synchronize());
    Recorder.exitStepEnd(opt, "optimizer");
  }

  static void check(int rc) {
    if (rc != 0) {
      throw new IllegalStateException("CUDA call failed: " + rc);
    }
  }

  static boolean direct(String cuptiPath) {
    List<Step> steps = new ArrayList<>();
    Collector collector = Collector.create(List.of(new StepSink() {
      @Override
      public void onStep(Step s) {
        steps.add(s);
      }
    }), 20, 0, 1_000_000);
    Recorder.setEnabled(true);
    for (int i = 0; i < 5; i++) {
      step(); // CUDA and cuBLAS warm-up, outside the measurement
    }
    long off = timeSteps();

    GpuTracing gpu = GpuTracing.start(new GpuTracing.Options().cuptiPath(cuptiPath), System.out::println);
    if (!gpu.available()) {
      return false;
    }
    collector.addSource(gpu.source());
    collector.start();
    long enableStart = System.nanoTime();
    boolean enabled = gpu.enable();
    long enableNs = System.nanoTime() - enableStart;
    if (!enabled || !gpu.trackMemory()) {
      return false;
    }
    long pushPop = timePushPop();
    long skip = Recorder.stepsClosed();
    long on = timeSteps();
    gpu.finish();
    collector.close();
    GpuStats stats = gpu.stats();

    boolean ok = true;
    int records = 0;
    int joined = 0;
    int badTiming = 0;
    int noLaunch = 0;
    Map<String, Integer> kinds = new HashMap<>();
    GpuTimeline last = null;
    Step lastStep = null;
    int memorySteps = 0;
    int memoryBad = 0;
    long firstLive = -1;
    long lastLive = -1;
    for (Step s : steps) {
      if (s.number() <= skip) {
        continue;
      }
      // Device memory: the scratch buffer is allocated and released in every step (CUDA may add its own).
      StepMemory m = s.memory();
      if (m.has(MemorySeries.GPU_LIVE_BYTES)) {
        memorySteps++;
        lastLive = m.value(MemorySeries.GPU_LIVE_BYTES);
        firstLive = firstLive < 0 ? lastLive : firstLive;
        boolean exact = m.value(MemorySeries.GPU_ALLOCS) == 1 && m.value(MemorySeries.GPU_FREES) == 1
            && m.value(MemorySeries.GPU_ALLOC_BYTES) == SCRATCH && m.value(MemorySeries.GPU_FREE_BYTES) == SCRATCH;
        if (m.value(MemorySeries.GPU_ALLOC_BYTES) < SCRATCH || m.value(MemorySeries.GPU_FREES) < 1) {
          memoryBad++;
        }
        if (!exact || s == steps.get(steps.size() - 1)) {
          System.out.println("gpu-check: step " + s.number() + " memory " + m.values() + (exact ? "" : " (not exactly "
              + "the scratch buffer)") + " sites " + m.sites());
        }
      }
      Map<Long, Span> byId = new HashMap<>();
      for (Span sp : s.spans()) {
        byId.put(sp.spanId(), sp);
      }
      for (ExternalActivity a : s.external()) {
        if (a.origin() != ExternalActivity.Origin.GPU) {
          continue;
        }
        records++;
        Span launcher = byId.get(a.correlatedSpanId());
        if (launcher == null) {
          continue;
        }
        joined++;
        String kind = a.category().key() + (a.detail() != null && a.name().startsWith("memcpy") ? " " + a.detail() : "")
            + (a.name().equals("memset") ? " memset" : "");
        kinds.merge(kind, 1, Integer::sum);
        // Work cannot start before its launch; a D2H copy to pageable memory is complete when the call returns.
        boolean late = a.startNs() < launcher.startNs() - 10_000;
        boolean d2hOutside = "D2H".equals(a.detail()) && a.endNs() > launcher.endNs() + 10_000;
        // The launching API call (CUPTI's runtime/driver API record) lies inside the span and begins before the work.
        boolean badLaunch = a.launchKnown() && (a.launchStartNs() < launcher.startNs() - 10_000
            || a.launchEndNs() > launcher.endNs() + 10_000 || a.launchStartNs() > a.startNs());
        noLaunch += a.launchKnown() ? 0 : 1;
        if (late || d2hOutside || badLaunch) {
          badTiming++;
          System.out.println("gpu-check: timing off: " + a + " (launch " + a.launchStartNs() + ".."
              + a.launchEndNs() + ") launched by " + launcher);
        }
      }
      last = GpuTimeline.of(s.startNs(), s.endNs(), s.spans(), s.external());
      lastStep = s;
    }
    if (lastStep != null) {
      for (GpuIdleSplit.StreamIdle si : GpuIdleSplit.of(lastStep.startNs(), lastStep.endNs(), lastStep.spans(),
          lastStep.external()).streams()) {
        System.out.printf("gpu-check: last step, stream %d: idle %.1f us (host wait %.1f, kernel wait %.1f, other "
            + "%.1f)%n", si.stream(), si.idleNs() / 1e3, si.waitNs(GpuIdleSplit.Wait.HOST_WAIT) / 1e3,
            si.waitNs(GpuIdleSplit.Wait.KERNEL_WAIT) / 1e3, si.waitNs(GpuIdleSplit.Wait.OTHER) / 1e3);
      }
      for (LaunchStats.OpLaunches o : LaunchStats.of(lastStep.spans(), lastStep.external())) {
        System.out.printf("gpu-check: last step, op %s: %d launches, mean launch delay %.1f us, %d shorter than "
            + "their launch%n", o.op(), o.launches(), o.delayMeanNs() / 1e3, o.shorterThanLaunch());
      }
    }
    System.out.println("gpu-check: records in steps " + records + ", joined to their span " + joined
        + ", without their launch call " + noLaunch + ", kinds " + kinds);
    System.out.println("gpu-check: " + stats);
    System.out.println("gpu-check: last step " + last);
    System.out.printf("gpu-check: first enable %.1f ms; push+pop through CUPTI %.1f ns; bridge parse %.1f ns per "
        + "GPU record; step %.3f ms without GPU tracing, %.3f ms with (%+.1f%%)%n", enableNs / 1e6, pushPop / 1e3,
        (double) stats.parseNs() / Math.max(1, stats.gpuRecordsParsed()), off / 1e6 / STEPS, on / 1e6 / STEPS,
        100.0 * (on - off) / off);
    ok &= records >= STEPS * 6 && joined == records && badTiming == 0 && noLaunch == 0;
    ok &= stats.unresolved() == 0 && stats.ringFull() == 0 && stats.cuptiDropped() == 0;
    System.out.println("gpu-check: memory: " + memorySteps + " steps with GPU memory series, " + memoryBad
        + " without the scratch buffer's allocation and release, live bytes " + firstLive + " -> " + lastLive
        + ", memory records " + stats.memoryRecordsParsed() + " (host " + stats.hostMemoryRecords() + ")");
    ok &= memorySteps == STEPS && memoryBad == 0 && firstLive == lastLive;
    ok &= kinds.containsKey("gemm") && kinds.containsKey("other_compute") && kinds.containsKey("memcpy H2D")
        && kinds.containsKey("memcpy D2H") && kinds.containsKey("memcpy D2D");
    System.out.println(ok ? "gpu-check: PASS" : "gpu-check: FAIL");
    return ok;
  }

  static long timeSteps() {
    long t0 = System.nanoTime();
    for (int i = 0; i < STEPS; i++) {
      step();
    }
    return System.nanoTime() - t0;
  }

  /** Total ns for 1000 push+pop pairs through the bridge into CUPTI (reported per pair x 1000). */
  static long timePushPop() {
    for (int i = 0; i < 100_000; i++) {
      GpuNative.push0(i);
      GpuNative.pop0();
    }
    int rounds = 1_000_000;
    long t0 = System.nanoTime();
    for (int i = 0; i < rounds; i++) {
      GpuNative.push0(i);
      GpuNative.pop0();
    }
    return (System.nanoTime() - t0) * 1000 / rounds;
  }
}
