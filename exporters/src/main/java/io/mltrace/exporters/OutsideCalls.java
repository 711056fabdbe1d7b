package io.mltrace.exporters;

import io.mltrace.bootstrap.Kind;
import io.mltrace.collector.Span;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Root spans outside training steps, by name: inference calls ({@code predict}, {@code output}), the evaluation
 * passes a training loop runs between two iterations ({@code evaluate}, {@code validateBatch}, {@code score}) and
 * the checkpoints it saves there ({@code save}), with their calls and total time. Without these totals, time the
 * agent keeps out of the steps would vanish from the summaries. Names are the hooks' constants; at most {@link #MAX_NAMES} are kept. Collector thread only.
 */
final class OutsideCalls {
  static final int MAX_NAMES = 32;

  private final Map<String, long[]> byName = new LinkedHashMap<>();

  /** Counts {@code span} when it is a whole root call (an inference root without a parent). */
  void add(Span span) {
    if (span.kind() != Kind.INFERENCE || span.parentId() != 0) {
      return; // a root's own spans are inside it
    }
    long[] callsAndNs = byName.get(span.name());
    if (callsAndNs == null) {
      if (byName.size() >= MAX_NAMES) {
        return;
      }
      callsAndNs = new long[2];
      byName.put(span.name(), callsAndNs);
    }
    callsAndNs[0]++;
    callsAndNs[1] += span.endNs() - span.startNs();
  }

  /** Name → {calls, total ns}, in first-seen order. */
  Map<String, long[]> byName() {
    return Collections.unmodifiableMap(byName);
  }
}
