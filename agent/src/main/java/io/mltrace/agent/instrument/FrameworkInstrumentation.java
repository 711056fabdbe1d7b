package io.mltrace.agent.instrument;

import java.util.List;

/** One instrumented library: its name (for messages) and its hooks. */
public interface FrameworkInstrumentation {
  /** A short name for log lines, such as {@code djl}. */
  String name();

  /** The hooks; evaluated once at install time. */
  List<Hook> hooks();
}
