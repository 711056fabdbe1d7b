package io.mltrace.agent;

import io.mltrace.agent.cluster.ClusterClock;
import io.mltrace.agent.cluster.WorkerIdentity;
import io.mltrace.agent.context.ApplicationTraceContext;
import io.mltrace.agent.control.AgentStatus;
import io.mltrace.agent.control.DetailControl;
import io.mltrace.agent.control.DetailPolicy;
import io.mltrace.agent.control.Mode;
import io.mltrace.agent.control.OverheadGuard;
import io.mltrace.agent.control.RetransformTimer;
import io.mltrace.agent.control.TailFilter;
import io.mltrace.agent.control.WindowSinks;
import io.mltrace.agent.djl.DjlInstrumentation;
import io.mltrace.agent.dl4j.Dl4jInstrumentation;
import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.Installer;
import io.mltrace.agent.memory.HeapAllocation;
import io.mltrace.bootstrap.HotPathCalibration;
import io.mltrace.bootstrap.HotPathWarmUp;
import io.mltrace.bootstrap.MemoryGauges;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.bootstrap.ShutdownEntry;
import io.mltrace.bootstrap.StepGate;
import io.mltrace.bootstrap.TensorLife;
import io.mltrace.bootstrap.ThreadRegistry;
import io.mltrace.collector.Category;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Leak;
import io.mltrace.collector.LeakFinder;
import io.mltrace.collector.LeakRule;
import io.mltrace.collector.MemorySeries;
import io.mltrace.collector.StepSink;
import io.mltrace.exporters.ChromeTraceWriter;
import io.mltrace.exporters.ConsoleReporter;
import io.mltrace.exporters.SummaryWriter;
import io.mltrace.exporters.html.HtmlReportWriter;
import io.mltrace.exporters.jfr.JfrEventWriter;
import io.mltrace.exporters.otel.OtlpTraceSink;
import io.mltrace.gpu.GpuReport;
import io.mltrace.gpu.GpuTracing;
import io.mltrace.jfr.JfrSource;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * Wires one agent instance: options, sinks, the collector thread, the instrumentation, and the shutdown hook that
 * writes the files at exit. Started once, by {@link MltraceAgent}, after the bridge is on the bootstrap path; every
 * later {@code agentmain} (a second attach, or a command of {@code mltrace trace/status/stop}) goes to
 * {@link #command}, which reconfigures this instance and never installs anything twice.
 */
public final class AgentRuntime {
  /** The categories the current instrumentation measures; the others stay 0 in the outputs. */
  static final List<Category> MEASURED = List.of(Category.GEMM, Category.OTHER_COMPUTE, Category.MEMCPY,
      Category.DATA, Category.FRAMEWORK, Category.MLTRACE, Category.UNATTRIBUTED);
  /** Records the collector holds at most while it yields to the JIT: 65,536 of 168 bytes, about 11 MB. */
  private static final int JIT_YIELD_MAX_RECORDS = 65536;

  /** Rest between two retransformation batches on attach, so the application runs between pauses. */
  static final long ATTACH_BATCH_REST_MILLIS = 10;
  /** What JVM events add to {@link #MEASURED}. */
  static final List<Category> MEASURED_WITH_JVM = List.of(Category.GC, Category.JIT_SAFEPOINT, Category.MEMCPY,
      Category.GEMM, Category.OTHER_COMPUTE, Category.DATA, Category.IDLE, Category.FRAMEWORK, Category.MLTRACE,
      Category.UNATTRIBUTED);

  private static volatile AgentRuntime current;

  private volatile AgentOptions options;
  private final DetailControl control;
  private final WindowSinks windows;
  /** GPU tracing, or null when off or unavailable. */
  private final GpuTracing gpu;

  private AgentRuntime(AgentOptions options, DetailControl control, WindowSinks windows, GpuTracing gpu) {
    this.options = options;
    this.control = control;
    this.windows = windows;
    this.gpu = gpu;
  }

  public static void start(String args, Instrumentation inst, boolean attached) {
    ControlArgs request = ControlArgs.split(args);
    AgentOptions options = AgentOptions.parse(request.options, systemProperties(), System.getenv());
    for (String problem : options.problems()) {
      System.err.println(problem);
    }
    StartupLog.enable(options.startupLog(), System.err);
    StartupLog.mark("options read");
    ThreadRegistry.setRingCapacity(options.ringCapacity());
    MemoryGauges.setEnabled(options.memory());
    Sampling.timedStepEvery(options.timedStepEvery());
    DetailControl control = new DetailControl(System.err);
    control.configure(policy(options));
    // At launch JFR starts beside the application (its initialization takes 0.2-0.3 s): no step opens before the
    // recording runs (StepGate, released by mltrace-start: finishStartBesideTheJob), and the job reaches its first
    // step that much sooner. An attaching agent waits for the recording itself instead (below): its threads are not
    // the job's. First of premain's work after the options: JFR's initialization is the longest thing a launch waits
    // for (under a DJL job's own start it stretched to 0.3-0.5 s and the first step sometimes waited at the gate), so
    // it overlaps the weaving cache's hooks, the sinks and the collector rather than following them.
    if (!attached && options.jvmEvents()) {
      StepGate.hold(JFR_RECORDING_WAIT_MILLIS);
    }
    JfrSource jvm = options.jvmEvents() ? startJvmEvents(options) : null;
    if (jvm == null) {
      StepGate.release();
    } else {
      jvm.flushWith(JfrFlushNow.lazy(inst)); // the job's end: its last JVM events without a dump
    }
    StartupLog.mark("JFR stream starting");
    Installer installer = new Installer();
    List<FrameworkInstrumentation> hooked = new ArrayList<>(frameworks(options.memory(), options.nd4jTensors()));
    hooked.add(io.mltrace.agent.cluster.SparkPhases.instrumentation());
    hooked.add(options.customSpans());
    // At launch the hooks are built on a background thread while this one starts JFR and the collector: no
    // framework class loads before premain returns, and the two together took 0.6 s of premain's 0.77 (issue 22).
    Installer.Prepared prepared = attached ? null : prepare(installer, hooked, options);

    // Every executor of a Spark job gets the same options: each writes to its own folder, labelled with its id.
    WorkerIdentity worker = WorkerIdentity.ofThisProcess();
    Path out = worker.outputFolder(options.output()).toAbsolutePath();
    // Before the application makes its SparkConf: the driver publishes its clock's port to the executors.
    ClusterClock clusterClock = options.clusterClock() && !worker.isNone()
        ? ClusterClock.start(worker, System.getenv(), System.err) : ClusterClock.NONE;
    Thread beside = new Thread(() -> finishStartBesideTheJob(inst, jvm, options.jfrFile() != null, prepared),
        "mltrace-start");
    beside.setDaemon(true);
    beside.start();
    List<Category> measured = jvm != null ? MEASURED_WITH_JVM : MEASURED;
    GemmCalibration calibration = new GemmCalibration(inst, calibrationCache());
    DoubleSupplier peakGflops = () -> options.peakGflops() > 0 ? options.peakGflops() : calibration.peakGflops();
    String traceName = options.traceGzip() ? "trace.json.gz" : "trace.json";
    // An on-demand window (mltrace trace) gets the per-run files: summary, trace, and the HTML report if on.
    WindowSinks windows = new WindowSinks(control, dir -> windowSinks(options, dir, measured, peakGflops, traceName));
    OverheadGuard guard = new OverheadGuard(control, windows, options.overheadBudgetPercent());
    // GPU tracing here, before the job can touch the device: CUPTI is to see its first allocations.
    GpuTracing gpu = startGpu(options);
    StartupLog.mark("GPU tracing probed");
    if (gpu != null) {
      gpu.followSampledSteps(); // follows the detail decisions: head sampling, tail, full, on-demand windows
      gpu.trackMemory(); // device memory per step, in every step: the level needs every allocation and release
    }
    // The sinks and the collector: at launch on a thread beside the job (about 60 ms of premain otherwise, issue
    // 22); an attaching agent builds them before it answers.
    StartingCollector collectorStart = new StartingCollector();
    Runnable build = () -> collectorStart.build(() -> {
      List<StepSink> sinks = new ArrayList<>();
      if (!options.console().equals("off")) {
        sinks.add(new ConsoleReporter(System.out, options.console().equals("steps")));
      }
      sinks.add(new SummaryWriter(out.resolve("summary.json"), options.summaryMaxSteps(), measured, peakGflops,
          worker.summaryFields(), clusterClock::summaryFields));
      sinks.add(new TailFilter(new ChromeTraceWriter(out.resolve(traceName), options.traceMaxEvents(),
          options.traceGzip()), control, windows));
      for (StepSink sink : ExporterSinks.create(options, out, measured, installer::appliedFrameworks,
          System.getenv(), worker, clusterClock.epochMinusNanoTime(), System.err)) {
        // OTLP traces keep the same steps as trace.json under tail sampling; metrics and the report see every step.
        sinks.add(sink instanceof OtlpTraceSink ? new TailFilter(sink, control, windows) : sink);
      }
      StartupLog.mark("sinks created");
      if (gpu != null && !options.console().equals("off")) {
        sinks.add(new GpuReport(System.out));
      }
      JfrEventWriter jfrEvents = jfrWriter(options);
      if (jfrEvents != null) {
        sinks.add(jfrEvents.memoryEvents()); // complete steps: with the heap after GC and GPU memory
      }
      sinks.add(windows);
      sinks.add(guard);
      Collector collector = Collector.create(sinks, 50, options.reportIntervalSeconds() * 1000, 1_000_000);
      collector.setLeakFinder(new LeakFinder(LeakRule.DEFAULT, AgentRuntime::newLeakSuspect));
      windows.setStats(collector::stats);
      if (!attached && options.jfrFile() == null) {
        // A launched job's first seconds are its JIT warm-up: the collector's analysis waits for it (issue 22). Not
        // with jfr=FILE: the recording that JFR writes at exit must hold each step's events, so they are committed as
        // each step closes. Not on attach: the job is warm by then.
        collector.yieldToJit(options.jitYieldSeconds() * 1000, JIT_YIELD_MAX_RECORDS);
        collector.onJitYieldEnd(how -> StartupLog.mark("JIT hold ended: " + how));
      }
      if (jfrEvents != null) {
        collector.addEarlySink(jfrEvents);
      }
      if (options.peakGflops() <= 0) {
        collector.addEarlySink(calibration);
      }
      if (jvm != null) {
        collector.addSource(jvm);
      }
      if (gpu != null) {
        collector.addSource(gpu.source());
      }
      collector.start();
      StartupLog.mark("collector started");
      return collector;
    });
    if (attached) {
      build.run();
    } else {
      Thread builder = new Thread(build, "mltrace-collector-start");
      builder.setDaemon(true);
      builder.start();
    }
    if (options.memory()) {
      HeapAllocation.installInBackground();
    }
    ApplicationTraceContext.install();

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        StartupLog.mark("shutdown hook entered");
        HotPathWarmUp.stop();
        Collector collector = collectorStart.await();
        if (collector == null) {
          return; // its build failed (and said so) or never finished: nothing to write
        }
        // First the drain that hands the last steps to the early sinks (JFR events): the JVM's JFR hook, running
        // concurrently, stops the recordings soon. After System.exit or a signal the drain before the hooks
        // (ShutdownHookIn) has done this already; this one covers a JVM where it could not be woven.
        collector.endJitYield();
        collector.drainOnce();
        if (gpu != null) {
          gpu.finish(); // the last window's records reach the collector before it closes
        }
        // No dump here: the JVM's JFR hook, running concurrently, stops the recording and a dump racing with it logs
        // JFR errors. The dump came before the hooks (main returned, System.exit, a signal); else the stream reads
        // the recording's last chunk and ends, and close() waits until then (at most the stream's next poll, 1 s).
        collector.close();
        StartupLog.mark("outputs written; " + installer.weavingReport() + "; first steps held for JFR "
            + StepGate.waitedNanos() / 1_000_000 + " ms");
        if (gpu != null && !options.console().equals("off")) {
          System.out.println("mltrace: " + gpu.stats());
        }
        if (!options.console().equals("off")) {
          System.out.println("mltrace: trace " + out.resolve(traceName) + ", summary " + out.resolve("summary.json")
              + (options.htmlReport() ? ", report " + out.resolve("report.html") : ""));
        }
      } catch (Throwable t) {
        System.err.println("mltrace: could not write the outputs: " + t);
      }
    }, "mltrace-shutdown"));

    if (!attached) {
      MainExit.drainWhenMainReturns(Thread.currentThread(), collectorStart::await, jvm);
    }
    // Runs once mltrace-start wove its call into Shutdown.exit.
    ShutdownEntry.install(() -> beforeShutdownHooks(collectorStart.await(), jvm));
    // No step before JFR records: its first ones would lose their JVM events (issue 22: with a warm weaving cache a
    // job's first steps can come within 0.5 s of premain, before the stream's recording ran).
    if (jvm != null && attached) {
      StartupLog.mark(jvm.awaitRecording(JFR_RECORDING_WAIT_MILLIS) ? "JFR recording" : "JFR not recording yet");
    }
    HotPathWarmUp.enable(options.warmUp());
    collectorStart.enableRecording();
    RetransformTimer timer = new RetransformTimer(attached ? ATTACH_BATCH_REST_MILLIS : 0);
    if (prepared != null) {
      prepared.install(inst);
    } else {
      installer.install(inst, hooked, true, options.attachBatch(), timer);
    }
    StartupLog.mark("hooks installed");
    AgentStatus.publish(AgentStatus.VERSION, CommandLine.version());
    AgentStatus.publish(AgentStatus.OUTPUT, out.toString());
    AgentStatus.publish(AgentStatus.ATTACH, timer.report());
    AgentStatus.publish(AgentStatus.ATTACH_PAUSE_NS, String.valueOf(timer.longestPauseNs()));
    startCalibration(guard);
    current = new AgentRuntime(options, control, windows, gpu);
    String started = (attached ? "attached: " : "started: ") + timer.report() + "; " + control.policy().describe();
    if (attached) {
      System.err.println("mltrace: " + started);
    }
    reply(request, true, started);
    StartupLog.mark("premain done");
  }

  /**
   * The start-up work that need not delay the application, on {@code mltrace-start} from the moment JFR starts, in
   * this order, before the first steps may open ({@link StepGate}, held at launch while JFR starts): weave the exit
   * entry ({@link ShutdownHookIn}: 15-25 ms alone, loading the shaded ASM, and a 4-5 ms retransformation safepoint),
   * meanwhile JFR initializes on its own thread; wait until JFR records; with a {@code jfr=} file, register the
   * agent's JFR event types ({@link JfrEventWriter#registerEventTypes()}: that recording loads them in premain, before
   * JFR was initialized, and such a class is instrumented by a class redefinition at its first commit, a 5-13 ms
   * safepoint; without the file they load later, instrumented as they load); then open the gate. Why before the
   * gate: each of those pauses, inside a step, is {@code jit_safepoint} time the job would not have had without the
   * agent (a 16-step DL4J job's steps 2 and 3 read 12-20 ms of it when they came later). A JVM that ends before the
   * exit entry is woven has the shutdown hook's drain only. After the gate, the weaving cache's housekeeping and,
   * without a {@code jfr=} file, the event types' registration: loaded now, with JFR recording, they are instrumented
   * as they load (no safepoint), and JFR's work for them (its ASM, 10-35 ms) leaves a short job's exit, where the first
   * step's commit did it before.
   */
  private static void finishStartBesideTheJob(Instrumentation inst, JfrSource jvm, boolean jfrFile,
      Installer.Prepared prepared) {
    try {
      StartupLog.mark(ShutdownHookIn.weave(inst) ? "exit entry woven" : "exit entry not woven: the hook drains");
      if (jvm != null && StepGate.isHeld()) {
        StartupLog.mark(jvm.awaitRecording(JFR_RECORDING_WAIT_MILLIS) ? "JFR recording" : "JFR not recording yet");
      }
      if (jvm != null && jfrFile) {
        JfrEventWriter.registerEventTypes();
        StartupLog.mark("JFR event types registered");
      }
    } catch (Throwable t) {
      // Each part is optional: without it the agent works as before it existed.
    } finally {
      StepGate.release();
      StartupLog.mark("steps may open");
    }
    if (prepared != null) {
      prepared.pruneCache(); // after the gate: nothing waits for it
    }
    if (jvm != null && !jfrFile && jvm.awaitRecording(0)) { // recording, or JFR failed: then this fails, caught
      try {
        JfrEventWriter.registerEventTypes();
        StartupLog.mark("JFR event types registered");
      } catch (Throwable t) {
        // They register at the first step's commit instead.
      }
    }
    // A flush now, so that the stream reads JFR's event metadata (the bulk of its first read, 50-100 ms of CPU)
    // beside the job rather than at its end, where a short job waits for it. Once the job's first step began (its
    // start-up is done): on JDK 25, flushing right after the gate put that read before the first step and delayed
    // it by 45-55 ms (10 runs each). At most a second later: JFR's own periodic flush has done it by then.
    if (jvm != null && jvm.awaitRecording(0)) {
      StepGate.awaitFirstStep(1000);
      if (jvm.flushNow()) {
        StartupLog.mark("JFR flushed: the stream reads its metadata now");
      }
    }
  }

  /**
   * What the JVM's ending through {@code System.exit} or a signal runs before its shutdown hooks, on the thread that
   * ends it ({@link MainExit#drainTheRest}). Events recorded after the dump (steps still running on other threads
   * while the JVM ends) are not delivered.
   */
  private static void beforeShutdownHooks(Collector collector, JfrSource jvm) {
    if (collector == null) {
      return; // never built: the shutdown hook has nothing to write either
    }
    StartupLog.mark("exit: before the shutdown hooks");
    MainExit.drainTheRest(collector, jvm);
    StartupLog.mark("steps drained before the shutdown hooks");
  }

  /**
   * GPU tracing through CUPTI for the sampled steps, when {@code gpu=auto} and it is available; else null (and one
   * line {@code GPU tracing unavailable: <reason>} on stderr).
   */
  private static GpuTracing startGpu(AgentOptions options) {
    if (options.gpu().equals("off")) {
      return null;
    }
    GpuTracing gpu = GpuTracing.start(new GpuTracing.Options().cuptiPath(options.cuptiPath()), System.err::println);
    return gpu.available() ? gpu : null;
  }

  /** The files of an on-demand window, written into {@code dir}. */
  private static List<StepSink> windowSinks(AgentOptions options, Path dir, List<Category> measured,
      DoubleSupplier peakGflops, String traceName) {
    List<StepSink> sinks = new ArrayList<>();
    sinks.add(new SummaryWriter(dir.resolve("summary.json"), options.summaryMaxSteps(), measured, peakGflops));
    sinks.add(new ChromeTraceWriter(dir.resolve(traceName), options.traceMaxEvents(), options.traceGzip()));
    if (options.htmlReport()) {
      sinks.add(new HtmlReportWriter(dir.resolve("report.html"), ExporterSinks.HTML_MAX_STEPS, measured));
    }
    return sinks;
  }

  /** Every instrumented framework. Hooks whose classes are absent simply never match. */
  static List<FrameworkInstrumentation> frameworks() {
    return frameworks(true, false);
  }

  /**
   * A memory series became a leak suspect: one line, and when it counts tensors (DJL's arrays, ND4J's detached
   * buffers), sampled steps start taking the creation sites that name it (not before: a stack walk per tensor would
   * slow every sampled step).
   */
  private static void newLeakSuspect(Leak leak) {
    Collector.printSuspect(leak);
    if (leak.series() == MemorySeries.ARRAYS_LIVE_BYTES || leak.series() == MemorySeries.DETACHED_LIVE_BYTES) {
      TensorLife.captureSitesInSampledSteps(true);
    }
  }

  /** As {@link #frameworks()}; {@code memory} false installs no memory reading that needs a framework's classes. */
  static List<FrameworkInstrumentation> frameworks(boolean memory, boolean nd4jTensors) {
    return List.of(new DjlInstrumentation(memory), new Dl4jInstrumentation(memory, nd4jTensors));
  }

  /**
   * JVM events from JFR; when JFR is unavailable, one line and the rest runs without them. Started here, before the
   * application's main: started on a background thread instead, JFR's start (its safepoints, retransforming the
   * JDK's event classes) overlapped the job's first steps and was billed to them as jit_safepoint (issue 22).
   */
  private static JfrSource startJvmEvents(AgentOptions options) {
    try {
      JfrSource source = JfrSource.start(options.samplePeriodMillis(), options.waitThresholdMillis(), 200_000,
          options.memory());
      source.stopWhenDiskLow(options.jvmEventsMinFreeMb() * 1024 * 1024, System.err::println);
      return source;
    } catch (Throwable t) {
      System.err.println("mltrace: JVM events unavailable (" + t + "); continuing without gc/jit_safepoint/idle");
      return null;
    }
  }

  /** The JFR event writer; null in a Java runtime without JFR (a jlinked or --limit-modules one), said once. */
  private static JfrEventWriter jfrWriter(AgentOptions options) {
    Path file = options.jfrFile();
    if (ModuleLayer.boot().findModule("jdk.jfr").isEmpty()) {
      if (file != null) {
        System.err.println("mltrace: cannot record " + file + ": this Java runtime has no JFR (module jdk.jfr)");
      }
      return null;
    }
    if (file != null) {
      try {
        return JfrEventWriter.toFile(file.toAbsolutePath());
      } catch (Throwable t) {
        System.err.println("mltrace: cannot record " + file + " (" + t + "); JFR events stay available to jcmd");
      }
    }
    return JfrEventWriter.eventsOnly();
  }

  /** Where calibrations are cached: {@code $XDG_CACHE_HOME/mltrace} or {@code ~/.cache/mltrace}. */
  /**
   * The hooks prepared at launch: with the weaving cache (the default), a JVM whose agent, hook options and classes
   * an earlier JVM saw loads them woven as they were, without building Byte Buddy (issue 22).
   */
  private static Installer.Prepared prepare(Installer installer, List<FrameworkInstrumentation> hooked,
      AgentOptions options) {
    String fingerprint = BootstrapJar.fingerprint();
    // Byte Buddy's dump of the classes it weaves (a debugging aid) needs it to weave them: no cache then.
    boolean dumping = System.getProperty(BYTE_BUDDY_DUMP) != null;
    if (!options.weaveCache() || fingerprint.isEmpty() || dumping) {
      return installer.prepare(hooked, StartupLog::mark);
    }
    Path root = options.weaveCacheDir() != null ? Path.of(options.weaveCacheDir()) : cacheBase().resolve("woven");
    String plan = "agent " + fingerprint + "\njava " + Runtime.version().feature() + "\n" + options.hookOptions()
        + "\n";
    return installer.prepare(hooked, StartupLog::mark, root, planKey(plan), plan, System.err::println);
  }

  /** The longest premain waits for the JVM events' recording to run. */
  static final long JFR_RECORDING_WAIT_MILLIS = 5000;

  /** The system property that makes the agent's (shaded) Byte Buddy write the classes it weaves to a folder. */
  static final String BYTE_BUDDY_DUMP = "io.mltrace.shaded.net.bytebuddy.dump";

  /**
   * A folder name for a plan: its CRC-32 and length in hex (the JDK's message digests cost tens of milliseconds to
   * set up at start). The folder also keeps the plan's whole text, and a different one there is refused.
   */
  static String planKey(String plan) {
    byte[] bytes = plan.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes, 0, bytes.length);
    return Long.toHexString(crc.getValue()) + "-" + Integer.toHexString(bytes.length);
  }

  private static Path cacheBase() {
    return BootstrapJar.cacheBase(System.getenv(), System.getProperties());
  }

  private static Path calibrationCache() {
    return cacheBase().resolve("calibration.properties");
  }

  /**
   * A later {@code agentmain} in a JVM where the agent already runs: {@code configure} (the default: a second
   * attach with options), {@code trace}, {@code window_close}, {@code stop} or {@code status}. The outcome goes to
   * the {@code mltrace.agent.reply} property, tagged with the caller's {@code reply} token.
   */
  public static void command(String args) {
    ControlArgs request = ControlArgs.split(args);
    AgentRuntime rt = current;
    if (rt == null) {
      reply(request, false, "mltrace is loaded but did not start; see the target's stderr");
      return;
    }
    try {
      reply(request, true, rt.execute(request));
    } catch (IllegalArgumentException | IllegalStateException e) {
      reply(request, false, e.getMessage());
    } catch (Throwable t) {
      reply(request, false, "command failed: " + t);
    }
  }

  private String execute(ControlArgs request) throws Exception {
    AgentStatus.publish(AgentStatus.STEPS, String.valueOf(Recorder.stepsClosed()));
    switch (request.command()) {
      case "configure":
        return reconfigure(request.options);
      case "status":
        return control.policy().describe();
      case "trace":
        return openWindow(request);
      case "window_close": {
        String closed = windows.closeOpen("done");
        return closed == null ? "no window was open" : closed;
      }
      case "stop": {
        String closed = windows.closeOpen("stopped");
        control.configure(DetailPolicy.off());
        String gpuOff = "";
        if (gpu != null && gpu.collecting()) {
          // Now rather than at the next step boundary; the records already made still reach the collector.
          gpu.disable();
          gpuOff = "; GPU collection off";
        }
        return "detail off (" + control.policy().describe() + ")" + gpuOff + (closed == null ? "" : "; " + closed);
      }
      default:
        throw new IllegalArgumentException("unknown command '" + request.command() + "'");
    }
  }

  private String reconfigure(String args) {
    AgentOptions next = AgentOptions.parse(args, options.asProperties(), Map.of());
    if (!next.problems().isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", next.problems()) + "; nothing changed");
    }
    List<String> fixed = new ArrayList<>();
    for (String key : AgentOptions.KEYS) {
      if (!AgentOptions.RECONFIGURABLE.contains(key) && !next.get(key).equals(options.get(key))) {
        fixed.add(key);
      }
    }
    if (!fixed.isEmpty()) {
      throw new IllegalArgumentException("options fixed when the agent started cannot change: "
          + String.join(", ", fixed) + "; nothing changed");
    }
    options = next;
    control.configure(policy(next));
    return "reconfigured: " + control.policy().describe();
  }

  private String openWindow(ControlArgs request) throws Exception {
    String dir = request.get(ControlArgs.OUT);
    if (dir == null || dir.isEmpty()) {
      throw new IllegalArgumentException("trace needs out=<folder>");
    }
    String kind = request.get(ControlArgs.WINDOW);
    boolean memory = "memory".equals(kind);
    if (kind != null && !memory && !kind.equals("detail")) {
      throw new IllegalArgumentException("window must be detail or memory, not '" + kind + "'");
    }
    if (memory && !options.memory()) {
      throw new IllegalArgumentException("memory is off in this JVM (memory=off): a memory window has nothing to take");
    }
    Path out = Paths.get(dir).toAbsolutePath();
    Files.createDirectories(out);
    String steps = request.get(ControlArgs.STEPS);
    if (steps != null) {
      int n;
      try {
        n = Integer.parseInt(steps);
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n <= 0) {
        throw new IllegalArgumentException("steps must be a positive whole number, not '" + steps + "'");
      }
      return windows.openSteps(n, out, memory);
    }
    long nanos = Durations.parseNanos(request.get(ControlArgs.DURATION));
    if (nanos <= 0) {
      throw new IllegalArgumentException("trace needs steps=N or duration=D (such as 30s)");
    }
    return windows.openDuration(nanos, out, memory);
  }

  static DetailPolicy policy(AgentOptions o) {
    return new DetailPolicy(Mode.of(o.mode()), o.sampleEvery(), o.sampleIntervalNanos(), o.tailPercentile(),
        o.tailWindow(), true).withOpTiming(o.opTimingEvery(), o.djlProfileEvery());
  }

  /** Measures the hot path's cost per call off the training threads, for the overhead guard's estimate. */
  static final int CALIBRATION_ROUNDS = 3;
  private static final long FIRST_CALIBRATION_DELAY_MILLIS = 5_000;

  private static void startCalibration(OverheadGuard guard) {
    Thread t = new Thread(() -> {
      try {
        calibrateGuard(guard, Thread::sleep, HotPathWarmUp::stopped);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable e) {
        System.err.println("mltrace: hot-path calibration failed, the overhead guard keeps its defaults: " + e);
      }
    }, "mltrace-calibrate");
    t.setDaemon(true);
    t.start();
  }

  /** How the calibration waits between its rounds ({@code Thread::sleep}; a test's own). */
  interface Pause {
    void sleep(long millis) throws InterruptedException;
  }

  /**
   * Measures the hot path's cost for the overhead guard, {@link #CALIBRATION_ROUNDS} times, and returns how many
   * rounds ran. At start the JVM is busy loading, transforming and compiling (a first reading came out 2-3x high on a
   * 2-core machine), so it measures again twice, 10 s apart, and keeps the cheapest reading. The first round waits too:
   * it compiles the hot path in C2 (CPU a job's start-up competes for), and a job done within seconds would pay for a
   * guard it never needs (issue 22); until then the guard keeps its default costs. No round starts once the job is
   * ending ({@code exiting}): a 1000-step DJL job that ended 5 s in had its first round take CPU from the exit's own
   * work.
   */
  static int calibrateGuard(OverheadGuard guard, Pause pause, BooleanSupplier exiting) throws InterruptedException {
    double recorded = Double.MAX_VALUE;
    double counted = Double.MAX_VALUE;
    for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
      pause.sleep(round == 0 ? FIRST_CALIBRATION_DELAY_MILLIS : 10_000);
      if (exiting.getAsBoolean()) {
        return round;
      }
      double[] ns = HotPathCalibration.measure(20_000, 5);
      recorded = Math.min(recorded, ns[0]);
      counted = Math.min(counted, ns[1]);
      // The advice adds a recorder look-up and a volatile read per call; count them in.
      guard.setCosts(recorded + 10, counted + 10);
    }
    return CALIBRATION_ROUNDS;
  }

  private static void reply(ControlArgs request, boolean ok, String message) {
    AgentStatus.publish(AgentStatus.STEPS, String.valueOf(Recorder.stepsClosed()));
    String token = request.get(ControlArgs.REPLY);
    if (token != null) {
      AgentStatus.publish(AgentStatus.REPLY, token + (ok ? " ok " : " error ") + message);
    }
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> m = new HashMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("mltrace.") && !name.startsWith(AgentStatus.PREFIX)) {
        m.put(name, System.getProperty(name));
      }
    }
    return m;
  }
}
