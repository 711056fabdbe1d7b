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
  static final String MODE = "mode";
  static final String SAMPLE_INTERVAL = "sample_interval";
  static final String TAIL_PERCENTILE = "tail_percentile";
  static final String TAIL_WINDOW = "tail_window";
  static final String OVERHEAD_BUDGET = "overhead_budget";
  static final String ATTACH_BATCH = "attach_batch";

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
    DEFAULTS.put(MODE, "default");
    DEFAULTS.put(SAMPLE_INTERVAL, "0");
    DEFAULTS.put(TAIL_PERCENTILE, "0");
    DEFAULTS.put(TAIL_WINDOW, "200");
    DEFAULTS.put(OVERHEAD_BUDGET, "1");
    DEFAULTS.put(ATTACH_BATCH, "1");
  }

  /** Options a running agent can change (a second attach); the others are fixed when the agent starts. */
  static final List<String> RECONFIGURABLE = List.of(CONSOLE, SAMPLE_EVERY, MODE, SAMPLE_INTERVAL, TAIL_PERCENTILE,
      TAIL_WINDOW, OVERHEAD_BUDGET);

  static final List<String> KEYS = List.copyOf(DEFAULTS.keySet());
  static final List<String> CONSOLE_VALUES = List.of("steps", "summary", "off");
  static final List<String> MODE_VALUES = List.of("off", "default", "full");

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
    if (!CONSOLE_VALUES.contains(values.get(CONSOLE))) {
      reject(CONSOLE, "must be one of " + String.join(", ", CONSOLE_VALUES));
    }
    if (values.get(OUTPUT).isEmpty()) {
      reject(OUTPUT, "must name a folder");
    }
    if (!MODE_VALUES.contains(values.get(MODE))) {
      reject(MODE, "must be one of " + String.join(", ", MODE_VALUES));
    }
    positiveLong(TAIL_WINDOW, false);
    positiveLong(ATTACH_BATCH, false);
    if (Durations.parseNanos(values.get(SAMPLE_INTERVAL)) < 0) {
      reject(SAMPLE_INTERVAL, "must be a duration such as 0, 500ms, 10s or 2m");
    }
    number(TAIL_PERCENTILE, 0, 100, "must be 0 (off) or a percentile below 100, such as 99");
    number(OVERHEAD_BUDGET, 0, 100, "must be a percentage from 0 (guard off) to 100");
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

  /** Every value as {@code mltrace.key} properties: the base that a reconfiguration's arguments override. */
  Map<String, String> asProperties() {
    Map<String, String> m = new LinkedHashMap<>();
    values.forEach((k, v) -> m.put("mltrace." + k, v));
    return m;
  }

  String get(String key) {
    return values.get(key);
  }
}
