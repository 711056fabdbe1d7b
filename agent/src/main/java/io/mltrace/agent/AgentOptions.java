package io.mltrace.agent;

import io.mltrace.bootstrap.Sampling;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's options. Each key can come from, in this order of precedence: the agent argument
 * ({@code -javaagent:mltrace-agent.jar=key=value,key=value}), a system property {@code mltrace.key}, an environment
 * variable {@code MLTRACE_KEY}, or the default.
 *
 * <p>Never throws: an unknown key or a bad value becomes one {@link #problems() problem} line (printed once on
 * stderr by the agent) and the default is used for that key.
 *
 * <p>Over 400 lines because it is every option in one place: its key, default, parser, bounds and the line a bad
 * value gets (about 40 options, a typed accessor each); splitting it would scatter what a user reads as one table.
 */
final class AgentOptions {
  static final String OUTPUT = "output";
  static final String CONSOLE = "console";
  static final String REPORT_INTERVAL = "report_interval";
  static final String SAMPLE_EVERY = "sample_every";
  static final String TRACE_MAX_EVENTS = "trace_max_events";
  static final String SUMMARY_MAX_STEPS = "summary_max_steps";
  static final String RING_CAPACITY = "ring_capacity";
  static final String MODE = "mode";
  static final String SAMPLE_INTERVAL = "sample_interval";
  static final String TAIL_PERCENTILE = "tail_percentile";
  static final String TAIL_WINDOW = "tail_window";
  static final String OVERHEAD_BUDGET = "overhead_budget";
  static final String ATTACH_BATCH = "attach_batch";
  static final String OP_TIMING_EVERY = "op_timing_every";
  static final String TIMED_STEP_EVERY = "timed_step_every";
  static final String JVM_EVENTS = "jvm_events";
  static final String JFR = "jfr";
  static final String JVM_EVENTS_MIN_FREE_MB = "jvm_events_min_free_mb";
  static final String SAMPLE_PERIOD_MS = "sample_period_ms";
  static final String WAIT_THRESHOLD_MS = "wait_threshold_ms";
  static final String DJL_PROFILE_EVERY = "djl_profile_every";
  static final String OTLP_ENDPOINT = "otlp_endpoint";
  static final String OTLP_PROTOCOL = "otlp_protocol";
  static final String OTLP_QUEUE_SPANS = "otlp_queue_spans";
  static final String PROMETHEUS = "prometheus";
  static final String PROMETHEUS_SD = "prometheus_sd";
  static final String CLUSTER_CLOCK = "cluster_clock";
  static final String PEAK_GFLOPS = "peak_gflops";
  static final String HTML_REPORT = "html_report";
  static final String TRACE_GZIP = "trace_gzip";
  static final String GPU = "gpu";
  static final String CUPTI_PATH = "cupti_path";
  static final String SPANS = "spans";
  static final String STARTUP_LOG = "startup_log";
  static final String WEAVE_CACHE = "weave_cache";
  static final String WEAVE_CACHE_DIR = "weave_cache_dir";
  static final String MEMORY = "memory";
  static final String WARM_UP = "warm_up";
  static final String JIT_YIELD = "jit_yield_s";

  /** Every valid key with its default, in the order the usage text lists them. */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put(OUTPUT, "mltrace-out");
    DEFAULTS.put(CONSOLE, "steps");
    DEFAULTS.put(REPORT_INTERVAL, "10");
    DEFAULTS.put(SAMPLE_EVERY, "100");
    DEFAULTS.put(TRACE_MAX_EVENTS, "500000");
    DEFAULTS.put(SUMMARY_MAX_STEPS, "100000");
    DEFAULTS.put(RING_CAPACITY, "8192");
    DEFAULTS.put(MODE, "default");
    DEFAULTS.put(SAMPLE_INTERVAL, "0");
    DEFAULTS.put(TAIL_PERCENTILE, "0");
    DEFAULTS.put(TAIL_WINDOW, "200");
    DEFAULTS.put(OVERHEAD_BUDGET, "1");
    DEFAULTS.put(ATTACH_BATCH, "1");
    DEFAULTS.put(OP_TIMING_EVERY, "16");
    DEFAULTS.put(TIMED_STEP_EVERY, String.valueOf(Sampling.DEFAULT_TIMED_STEP_EVERY));
    DEFAULTS.put(JVM_EVENTS, "on");
    DEFAULTS.put(JVM_EVENTS_MIN_FREE_MB, "128");
    DEFAULTS.put(MEMORY, "on");
    DEFAULTS.put(JFR, "");
    DEFAULTS.put(SAMPLE_PERIOD_MS, "20");
    DEFAULTS.put(WAIT_THRESHOLD_MS, "1");
    DEFAULTS.put(DJL_PROFILE_EVERY, "0");
    // "" : not set here; the standard OTEL_EXPORTER_OTLP_* variables then decide (see OtlpSettings).
    DEFAULTS.put(OTLP_ENDPOINT, "");
    DEFAULTS.put(OTLP_PROTOCOL, "");
    DEFAULTS.put(OTLP_QUEUE_SPANS, "0");
    DEFAULTS.put(PROMETHEUS, "");
    DEFAULTS.put(PROMETHEUS_SD, "");
    DEFAULTS.put(CLUSTER_CLOCK, "on");
    DEFAULTS.put(PEAK_GFLOPS, "0");
    DEFAULTS.put(HTML_REPORT, "true");
    DEFAULTS.put(TRACE_GZIP, "false");
    DEFAULTS.put(SPANS, "");
    DEFAULTS.put(GPU, "auto");
    DEFAULTS.put(CUPTI_PATH, "");
    DEFAULTS.put(STARTUP_LOG, "false");
    DEFAULTS.put(WEAVE_CACHE, "on");
    DEFAULTS.put(WEAVE_CACHE_DIR, "");
    DEFAULTS.put(WARM_UP, "auto");
    DEFAULTS.put(JIT_YIELD, "5");
  }

  /** Options a running agent can change (a second attach); the others are fixed when the agent starts. */
  static final List<String> RECONFIGURABLE = List.of(CONSOLE, SAMPLE_EVERY, MODE, SAMPLE_INTERVAL, TAIL_PERCENTILE,
      TAIL_WINDOW, OVERHEAD_BUDGET, OP_TIMING_EVERY);

  static final List<String> KEYS = List.copyOf(DEFAULTS.keySet());
  static final List<String> CONSOLE_VALUES = List.of("steps", "summary", "off");
  static final List<String> MODE_VALUES = List.of("off", "default", "full");
  static final List<String> ON_OFF = List.of("on", "off");
  static final List<String> GPU_VALUES = List.of("auto", "off");

  private final Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
  private final List<String> problems = new ArrayList<>();

  private AgentOptions() {}

  static AgentOptions parse(String agentArgs, Map<String, String> systemProperties, Map<String, String> env) {
    AgentOptions o = new AgentOptions();
    for (String key : KEYS) {
      String fromEnv = env.get("MLTRACE_" + key.toUpperCase(Locale.ROOT));
      if (fromEnv != null && !fromEnv.isEmpty()) {
        o.values.put(key, fromEnv.trim());
      }
      String fromProperty = systemProperties.get("mltrace." + key);
      if (fromProperty != null && !fromProperty.isEmpty()) {
        o.values.put(key, fromProperty.trim());
      }
    }
    if (agentArgs != null && !agentArgs.isBlank()) {
      for (String pair : agentArgs.split(",")) {
        if (pair.isBlank()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = (eq < 0 ? pair : pair.substring(0, eq)).trim();
        String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
        if (!DEFAULTS.containsKey(key)) {
          o.problems.add("mltrace: unknown option '" + shown(key) + "' (value '" + shown(value) + "') ignored;"
              + " valid options: " + String.join(", ", KEYS));
          continue;
        }
        o.values.put(key, value);
      }
    }
    o.validate();
    return o;
  }

  private void validate() {
    positiveLong(REPORT_INTERVAL, true);
    positiveLong(SAMPLE_EVERY, false);
    positiveLong(TRACE_MAX_EVENTS, false);
    positiveLong(SUMMARY_MAX_STEPS, true);
    positiveLong(RING_CAPACITY, false);
    positiveLong(SAMPLE_PERIOD_MS, true);
    positiveLong(WAIT_THRESHOLD_MS, true);
    positiveLong(JIT_YIELD, true);
    if (!ON_OFF.contains(values.get(JVM_EVENTS))) {
      reject(JVM_EVENTS, "must be on or off");
    }
    if (!ON_OFF.contains(values.get(CLUSTER_CLOCK))) {
      reject(CLUSTER_CLOCK, "must be on or off");
    }
    if (!ON_OFF.contains(values.get(MEMORY)) && !values.get(MEMORY).equals("full")) {
      reject(MEMORY, "must be on, off or full");
    }
    positiveLong(DJL_PROFILE_EVERY, true);
    positiveLong(JVM_EVENTS_MIN_FREE_MB, true);
    if (!CONSOLE_VALUES.contains(values.get(CONSOLE))) {
      reject(CONSOLE, "must be one of " + String.join(", ", CONSOLE_VALUES));
    }
    if (!GPU_VALUES.contains(values.get(GPU))) {
      reject(GPU, "must be one of " + String.join(", ", GPU_VALUES));
    }
    if (values.get(OUTPUT).isEmpty() || !isPath(values.get(OUTPUT))) {
      reject(OUTPUT, "must name a folder");
    }
    if (!isPath(values.get(JFR))) {
      reject(JFR, "must name a file");
    }
    if (!ON_OFF.contains(values.get(WEAVE_CACHE))) {
      reject(WEAVE_CACHE, "must be on or off");
    }
    if (!ON_OFF.contains(values.get(WARM_UP)) && !values.get(WARM_UP).equals("auto")) {
      reject(WARM_UP, "must be on, off or auto");
    }
    if (!isPath(values.get(WEAVE_CACHE_DIR))) {
      reject(WEAVE_CACHE_DIR, "must name a folder");
    }
    if (!isPath(values.get(CUPTI_PATH))) {
      reject(CUPTI_PATH, "must name a file");
    }
    if (!MODE_VALUES.contains(values.get(MODE))) {
      reject(MODE, "must be one of " + String.join(", ", MODE_VALUES));
    }
    positiveLong(TAIL_WINDOW, false);
    positiveLong(ATTACH_BATCH, false);
    positiveLong(OP_TIMING_EVERY, false);
    positiveLong(TIMED_STEP_EVERY, true);
    if (Durations.parseNanos(values.get(SAMPLE_INTERVAL)) < 0) {
      reject(SAMPLE_INTERVAL, "must be a duration such as 0, 500ms, 10s or 2m");
    }
    number(TAIL_PERCENTILE, 0, 100, "must be 0 (off) or a percentile below 100, such as 99");
    number(OVERHEAD_BUDGET, 0, 100, "must be a percentage from 0 (guard off) to 100");
    positiveLong(OTLP_QUEUE_SPANS, true);
    bool(HTML_REPORT);
    bool(TRACE_GZIP);
    bool(STARTUP_LOG);
    if (!values.get(OTLP_PROTOCOL).isEmpty() && !List.of("grpc", "http/protobuf").contains(values.get(OTLP_PROTOCOL))) {
      reject(OTLP_PROTOCOL, "must be grpc or http/protobuf");
    }
    try {
      double peak = Double.parseDouble(values.get(PEAK_GFLOPS));
      if (!(peak >= 0) || Double.isInfinite(peak)) {
        reject(PEAK_GFLOPS, "must be a number from 0");
      }
    } catch (NumberFormatException e) {
      reject(PEAK_GFLOPS, "must be a number from 0");
    }
    try {
      io.mltrace.agent.custom.CustomSpans.parse(values.get(SPANS));
    } catch (IllegalArgumentException e) {
      reject(SPANS, "must be CLASS#METHOD:CATEGORY entries separated by ';' ('*' a wildcard): " + e.getMessage());
    }
    if (!values.get(PROMETHEUS).isEmpty() && prometheusPort() < 0) {
      reject(PROMETHEUS, "must be PORT or HOST:PORT with a port from 0 (any free one) to 65535");
    }
    if (!isPath(values.get(PROMETHEUS_SD))) {
      reject(PROMETHEUS_SD, "must name a folder");
    } else if (!values.get(PROMETHEUS_SD).isEmpty() && values.get(PROMETHEUS).isEmpty()) {
      reject(PROMETHEUS_SD, "must come with a scrape endpoint to announce (prometheus=HOST:PORT)");
    }
  }

  /** Whether the text is a path this file system accepts (a NUL character, for one, is not). */
  private static boolean isPath(String text) {
    try {
      Paths.get(text);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void number(String key, double min, double maxExclusive, String why) {
    try {
      double d = Double.parseDouble(values.get(key));
      if (!(d >= min && d < maxExclusive)) {
        reject(key, why);
      }
    } catch (NumberFormatException e) {
      reject(key, why);
    }
  }

  private void bool(String key) {
    if (!values.get(key).equals("true") && !values.get(key).equals("false")) {
      reject(key, "must be true or false");
    }
  }

  private void positiveLong(String key, boolean zeroAllowed) {
    String v = values.get(key);
    try {
      long n = Long.parseLong(v);
      if (n < 0 || (n == 0 && !zeroAllowed) || n > Integer.MAX_VALUE) {
        reject(key, zeroAllowed ? "must be a whole number from 0" : "must be a positive whole number");
      }
    } catch (NumberFormatException e) {
      reject(key, "must be a whole number");
    }
  }

  private void reject(String key, String why) {
    problems.add("mltrace: option " + key + "='" + shown(values.get(key)) + "' " + escaped(why) + "; using "
        + (DEFAULTS.get(key).isEmpty() ? "none" : DEFAULTS.get(key)));
    values.put(key, DEFAULTS.get(key));
  }

  /** Longest value quoted whole in a problem line; a longer one is cut, so a problem stays one readable line. */
  static final int SHOWN_MAX = 80;

  /**
   * A value as a problem line quotes it: control characters (a line break in an environment variable) escaped as a
   * backslash, {@code u} and four hex digits, so the problem stays on one line; cut after {@link #SHOWN_MAX}
   * characters.
   */
  static String shown(String value) {
    String head = value.length() > SHOWN_MAX ? value.substring(0, SHOWN_MAX) : value;
    return escaped(head) + (value.length() > SHOWN_MAX ? "... (" + value.length() + " characters)" : "");
  }

  private static String escaped(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int type = Character.getType(c);
      if (Character.isISOControl(c) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** One line per unknown key or bad value; empty when all is well. */
  List<String> problems() {
    return Collections.unmodifiableList(problems);
  }

  Path output() {
    return Paths.get(values.get(OUTPUT));
  }

  String console() {
    return values.get(CONSOLE);
  }

  long reportIntervalSeconds() {
    return Long.parseLong(values.get(REPORT_INTERVAL));
  }

  long sampleEvery() {
    return Long.parseLong(values.get(SAMPLE_EVERY));
  }

  int traceMaxEvents() {
    return Integer.parseInt(values.get(TRACE_MAX_EVENTS));
  }

  int summaryMaxSteps() {
    return Integer.parseInt(values.get(SUMMARY_MAX_STEPS));
  }

  /** Prints the agent's start-up and exit phases with their times (a debug aid). */
  boolean startupLog() {
    return values.get(STARTUP_LOG).equals("true");
  }

  /** The memory of each step (heap, ND4J's levels and flows, the tensors' hooks); {@code memory=off}: none. */
  boolean memory() {
    return !values.get(MEMORY).equals("off");
  }

  /**
   * {@code memory=full}: ND4J's buffers are followed as tensors too (their live level, flows and creation sites).
   * Not by default: DL4J makes hundreds of small buffers a step (shape information too), and a weak reference and a
   * lock each cost the DL4J example 0.1-0.3 ms a step, most of it in the loop's own batch loading.
   */
  boolean nd4jTensors() {
    return values.get(MEMORY).equals("full");
  }

  /** A Spark driver answers its executors' clock probes, and executors measure their offset to it. */
  boolean clusterClock() {
    return values.get(CLUSTER_CLOCK).equals("on");
  }

  boolean jvmEvents() {
    return values.get(JVM_EVENTS).equals("on");
  }

  /** JVM events stop when JFR's repository disk has less free than this (MB); 0: never. */
  long jvmEventsMinFreeMb() {
    return Long.parseLong(values.get(JVM_EVENTS_MIN_FREE_MB));
  }

  /** The .jfr file to write at exit, or null. */
  Path jfrFile() {
    String v = values.get(JFR);
    return v.isEmpty() ? null : Paths.get(v);
  }

  long samplePeriodMillis() {
    return Long.parseLong(values.get(SAMPLE_PERIOD_MS));
  }

  long waitThresholdMillis() {
    return Long.parseLong(values.get(WAIT_THRESHOLD_MS));
  }

  int ringCapacity() {
    return Integer.parseInt(values.get(RING_CAPACITY));
  }

  String mode() {
    return values.get(MODE);
  }

  long sampleIntervalNanos() {
    return Durations.parseNanos(values.get(SAMPLE_INTERVAL));
  }

  double tailPercentile() {
    return Double.parseDouble(values.get(TAIL_PERCENTILE));
  }

  int tailWindow() {
    return Integer.parseInt(values.get(TAIL_WINDOW));
  }

  double overheadBudgetPercent() {
    return Double.parseDouble(values.get(OVERHEAD_BUDGET));
  }

  int attachBatch() {
    return Integer.parseInt(values.get(ATTACH_BATCH));
  }

  /** User methods to record as spans ({@code spans}): validated, so parsing cannot fail here. */
  io.mltrace.agent.custom.CustomSpans customSpans() {
    return io.mltrace.agent.custom.CustomSpans.parse(values.get(SPANS));
  }

  /** In steps that are not detailed, one op in this many is timed and the rest estimated; 1: every op timed. */
  int opTimingEvery() {
    return Integer.parseInt(values.get(OP_TIMING_EVERY));
  }

  /** Every n-th counted step times all its ops (0: none), teaching the counted steps' phases; see README. */
  int timedStepEvery() {
    return (int) Math.min(Integer.MAX_VALUE, Long.parseLong(values.get(TIMED_STEP_EVERY)));
  }

  /** Every value as {@code mltrace.key} properties: the base that a reconfiguration's arguments override. */
  Map<String, String> asProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    values.forEach((k, v) -> m.put("mltrace." + k, v));
    return m;
  }

  String get(String key) {
    return values.get(key);
  }

  /** Drive PyTorch's profiler in every n-th step (sampled ones only); 0: never. */
  long djlProfileEvery() {
    return Long.parseLong(values.get(DJL_PROFILE_EVERY));
  }

  /** "" when not given (the OTEL_* variables decide). */
  String otlpEndpoint() {
    return values.get(OTLP_ENDPOINT);
  }

  String otlpProtocol() {
    return values.get(OTLP_PROTOCOL);
  }

  /** 0 when not given. */
  int otlpQueueSpans() {
    return Integer.parseInt(values.get(OTLP_QUEUE_SPANS));
  }

  /**
   * The folder where this JVM announces its scrape endpoint to Prometheus's file-based discovery (one
   * {@code mltrace-*.json} per JVM, with its {@code worker} label); null when not set.
   */
  String prometheusSd() {
    String p = values.get(PROMETHEUS_SD);
    return p.isEmpty() ? null : p;
  }

  /** The scrape endpoint's host: loopback unless the option names another. Null when there is no endpoint. */
  String prometheusHost() {
    String v = values.get(PROMETHEUS);
    if (v.isEmpty()) {
      return null;
    }
    int colon = v.lastIndexOf(':');
    return colon <= 0 ? "127.0.0.1" : v.substring(0, colon);
  }

  /** -1 when there is no endpoint or the value is bad; 0: any free port. */
  int prometheusPort() {
    String v = values.get(PROMETHEUS);
    if (v.isEmpty()) {
      return -1;
    }
    try {
      int port = Integer.parseInt(v.substring(v.lastIndexOf(':') + 1));
      return port >= 0 && port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  double peakGflops() {
    return Double.parseDouble(values.get(PEAK_GFLOPS));
  }

  boolean htmlReport() {
    return Boolean.parseBoolean(values.get(HTML_REPORT));
  }

  boolean traceGzip() {
    return Boolean.parseBoolean(values.get(TRACE_GZIP));
  }

  /** {@code auto}: trace GPU work through CUPTI where it is available (sampled steps); {@code off}: never. */
  String gpu() {
    return values.get(GPU);
  }

  /** Whether a JVM at launch answers classes from the weaving cache and keeps what Byte Buddy wove there. */
  boolean weaveCache() {
    return values.get(WEAVE_CACHE).equals("on");
  }

  /**
   * Whether what the agent does once a step (the backward pass's estimate, the step's close and open) is compiled
   * beside the first steps ({@code HotPathWarmUp}: a thread of its own runs it 20,000 times from the first step's
   * end), so that the training thread does not run it interpreted or in C1 for thousands of steps.
   */
  boolean warmUp() {
    return warmUp(values.get(WARM_UP), Runtime.getRuntime().availableProcessors());
  }

  /**
   * {@code auto} (the default) warms up where the JVM has more than {@link #AUTO_WARM_UP_ABOVE_CPUS} CPUs. Why: the
   * warm-up pays where it has a core of its own (in lockstep pairs with the training thread pinned apart, the DJL
   * MLP's first 3000 steps 1.075x against 1.103x without it); on two CPUs it competes with the job and its JIT
   * instead (unpinned, 6 interleaved runs each: the DJL MLP's first 3000 steps 89 ms longer with it, its first 300
   * steps 17 % longer; the DL4J MLP 100 ms longer).
   */
  static boolean warmUp(String value, int cpus) {
    return value.equals("on") || value.equals("auto") && cpus > AUTO_WARM_UP_ABOVE_CPUS;
  }

  /** {@code warm_up=auto} warms up only where the JVM has more CPUs than this. */
  static final int AUTO_WARM_UP_ABOVE_CPUS = 2;

  /**
   * At most how many seconds, from a launched job's first records, the collector holds its analysis while the JVM's
   * compilers are busy with the job's warm-up (0: never): its own hot code is then compiled after the job's.
   */
  long jitYieldSeconds() {
    return Long.parseLong(values.get(JIT_YIELD));
  }

  /** The weaving cache's folder; null: {@code $XDG_CACHE_HOME/mltrace/woven}, else {@code ~/.cache/mltrace/woven}. */
  String weaveCacheDir() {
    String p = values.get(WEAVE_CACHE_DIR);
    return p.isEmpty() ? null : p;
  }

  /**
   * What, besides the agent's own code, decides how classes are woven: the memory hooks and the custom spans. Part
   * of the weaving cache's plan key.
   */
  String hookOptions() {
    return MEMORY + "=" + values.get(MEMORY) + "\n" + SPANS + "=" + values.get(SPANS);
  }

  /** The libcupti file to load; null: an already-loaded copy, then the default library search. */
  String cuptiPath() {
    String p = values.get(CUPTI_PATH);
    return p.isEmpty() ? null : p;
  }
}
