package io.mltrace.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An agent argument split in two: the control keys a command-line call adds ({@code command}, {@code reply},
 * {@code steps}, {@code duration}, {@code out}, {@code window}) and the agent options (everything else, passed on unchanged).
 */
final class ControlArgs {
  static final String COMMAND = "command";
  static final String REPLY = "reply";
  static final String STEPS = "steps";
  static final String DURATION = "duration";
  static final String OUT = "out";
  /** What a {@code trace} window takes: {@code detail} (the default: detailed steps) or {@code memory}. */
  static final String WINDOW = "window";

  final Map<String, String> control = new LinkedHashMap<>();
  final String options;

  private ControlArgs(String options) {
    this.options = options;
  }

  static ControlArgs split(String args) {
    StringBuilder rest = new StringBuilder();
    Map<String, String> control = new LinkedHashMap<>();
    if (args != null) {
      for (String pair : args.split(",")) {
        int eq = pair.indexOf('=');
        String key = (eq < 0 ? pair : pair.substring(0, eq)).trim();
        if (key.equals(COMMAND) || key.equals(REPLY) || key.equals(STEPS) || key.equals(DURATION)
            || key.equals(OUT) || key.equals(WINDOW)) {
          control.put(key, eq < 0 ? "" : pair.substring(eq + 1).trim());
        } else if (!pair.isBlank()) {
          rest.append(rest.length() == 0 ? "" : ",").append(pair);
        }
      }
    }
    ControlArgs c = new ControlArgs(rest.toString());
    c.control.putAll(control);
    return c;
  }

  String command() {
    return control.getOrDefault(COMMAND, "configure");
  }

  String get(String key) {
    return control.get(key);
  }
}
