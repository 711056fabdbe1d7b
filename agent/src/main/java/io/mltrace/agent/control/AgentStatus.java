package io.mltrace.agent.control;

/**
 * What the command line reads back from a target JVM: {@code mltrace.agent.*} system properties, read with the
 * Attach API's {@code getSystemProperties()}. Why system properties: they are the one channel that the Attach API
 * reads on every JDK without a network port, a file, or JMX.
 */
public final class AgentStatus {
  public static final String PREFIX = "mltrace.agent.";
  public static final String VERSION = PREFIX + "version";
  public static final String MODE = PREFIX + "mode";
  public static final String DETAIL = PREFIX + "detail";
  public static final String GUARD = PREFIX + "guard";
  public static final String OVERHEAD = PREFIX + "overhead";
  public static final String ATTACH = PREFIX + "attach";
  public static final String ATTACH_PAUSE_NS = PREFIX + "attach_longest_pause_ns";
  public static final String OUTPUT = PREFIX + "output";
  /** The Prometheus scrape endpoint's URL, when there is one (its port may have been chosen at start). */
  public static final String METRICS = PREFIX + "metrics";
  public static final String STEPS = PREFIX + "steps";
  public static final String REPLY = PREFIX + "reply";
  public static final String WINDOW_ID = PREFIX + "window.id";
  public static final String WINDOW_STATE = PREFIX + "window.state";
  public static final String WINDOW_STEPS = PREFIX + "window.steps";
  public static final String WINDOW_TARGET = PREFIX + "window.target";
  public static final String WINDOW_OUT = PREFIX + "window.out";

  private AgentStatus() {}

  public static void publish(String key, String value) {
    System.setProperty(key, value);
  }
}
