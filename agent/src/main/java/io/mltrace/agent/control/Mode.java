package io.mltrace.agent.control;

import java.util.Locale;

/** How much the agent records. */
public enum Mode {
  /** Step counters only (wall time, data time); ops are not timed. The cheapest mode. */
  OFF,
  /** Counters and a breakdown for every step; spans for sampled steps (head and tail sampling). */
  DEFAULT,
  /** Spans for every step. */
  FULL;

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The mode named {@code key} ({@code off}, {@code default}, {@code full}). */
  public static Mode of(String key) {
    return valueOf(key.trim().toUpperCase(Locale.ROOT));
  }
}
