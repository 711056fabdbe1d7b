package io.mltrace.agent;

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
 */
final class AgentOptions {
  static final String OUTPUT = "output";
  static final String CONSOLE = "console";
  static final String REPORT_INTERVAL = "report_interval";
  static final String SAMPLE_EVERY = "sample_every";
  static final String TRACE_MAX_EVENTS = "trace_max_events";
  static final String SUMMARY_MAX_STEPS = "summary_max_steps";
  static final String RING_CAPACITY = "ring_capacity";
  static final String JVM_EVENTS = "jvm_events";
  static final String JFR = "jfr";
  static final String SAMPLE_PERIOD_MS = "sample_period_ms";
  static final String WAIT_THRESHOLD_MS = "wait_threshold_ms";
  static final String DJL_PROFILE_EVERY = "djl_profile_every";

  /** Every valid key with its default, in the order the usage text lists them. */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put(OUTPUT, "mltrace-out");
    DEFAULTS.put(CONSOLE, "steps");
    DEFAULTS.put(REPORT_INTERVAL, "10");
    DEFAULTS.put(SAMPLE_EVERY, "1");
    DEFAULTS.put(TRACE_MAX_EVENTS, "500000");
    DEFAULTS.put(SUMMARY_MAX_STEPS, "100000");
    DEFAULTS.put(RING_CAPACITY, "8192");
    DEFAULTS.put(JVM_EVENTS, "on");
    DEFAULTS.put(JFR, "");
    DEFAULTS.put(SAMPLE_PERIOD_MS, "20");
    DEFAULTS.put(WAIT_THRESHOLD_MS, "1");
    DEFAULTS.put(DJL_PROFILE_EVERY, "0");
  }

  static final List<String> KEYS = List.copyOf(DEFAULTS.keySet());
  static final List<String> CONSOLE_VALUES = List.of("steps", "summary", "off");
  static final List<String> ON_OFF = List.of("on", "off");

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
          o.problems.add("mltrace: unknown option '" + key + "' ignored; valid options: " + String.join(", ", KEYS));
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
    if (!ON_OFF.contains(values.get(JVM_EVENTS))) {
      reject(JVM_EVENTS, "must be on or off");
    }
    positiveLong(DJL_PROFILE_EVERY, true);
    if (!CONSOLE_VALUES.contains(values.get(CONSOLE))) {
      reject(CONSOLE, "must be one of " + String.join(", ", CONSOLE_VALUES));
    }
    if (values.get(OUTPUT).isEmpty()) {
      reject(OUTPUT, "must name a folder");
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
    problems.add("mltrace: option " + key + "='" + values.get(key) + "' " + why + "; using "
        + DEFAULTS.get(key));
    values.put(key, DEFAULTS.get(key));
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

  boolean jvmEvents() {
    return values.get(JVM_EVENTS).equals("on");
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

  /** Drive PyTorch's profiler in every n-th step (sampled ones only); 0: never. */
  long djlProfileEvery() {
    return Long.parseLong(values.get(DJL_PROFILE_EVERY));
  }
}
