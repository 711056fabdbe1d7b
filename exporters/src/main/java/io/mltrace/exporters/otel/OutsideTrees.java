package io.mltrace.exporters.otel;

import io.mltrace.collector.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Spans outside any step (a DJL {@code predict} and its pre-processing, forward and post-processing; a Spark job's
 * driver rounds and executors' model fetches) gathered into trees for OTLP: they close children first, so a thread's
 * spans wait here until their root (a span without a parent) closes, and the tree then goes out whole as one trace.
 * Bounded twice: at most {@link #MAX_PENDING_SPANS} spans wait (a root that never closes cannot grow it), and at most
 * {@code treesPerSecond} trees go out (a token bucket holding a second's worth): an inference service making
 * thousands of predictions a second sends a steady sample of them, not all. A tensor op outside any span (a
 * network's parameter initialization) is no tree: it stays in {@code trace.json}. Collector thread only.
 */
final class OutsideTrees {
  static final int MAX_PENDING_SPANS = 4096;

  private final Map<Long, List<Span>> pendingByThread = new HashMap<>();
  private final LongSupplier clock;
  private final double perNano;
  private final double burst;
  private double tokens;
  private long refilledAt;
  private int pending;
  private long overRate;
  private long overflowed;

  OutsideTrees(double treesPerSecond, LongSupplier clock) {
    this.clock = clock;
    this.perNano = treesPerSecond / 1e9;
    this.burst = Math.max(1, treesPerSecond);
    this.tokens = burst;
    this.refilledAt = clock.getAsLong();
  }

  /** Takes a closed span; returns its whole tree (root last) when it is a root the rate lets out, else null. */
  List<Span> add(Span span) {
    if (span.parentId() != 0) {
      if (pending >= MAX_PENDING_SPANS) {
        overflowed++;
        return null;
      }
      pendingByThread.computeIfAbsent(span.threadId(), t -> new ArrayList<>()).add(span);
      pending++;
      return null;
    }
    List<Span> waiting = pendingByThread.remove(span.threadId());
    List<Span> tree = new ArrayList<>();
    if (waiting != null) {
      pending -= waiting.size();
      for (Span s : waiting) {
        if (s.startNs() >= span.startNs() && s.endNs() <= span.endNs()) {
          tree.add(s);
        } else {
          overflowed++; // left over from a root that never closed (a thread that died inside it)
        }
      }
    }
    tree.add(span);
    if (span.activityKind().isOp()) {
      return null; // a tensor op outside any span (parameter initialization): trace.json's, not a trace of its own
    }
    if (!take()) {
      overRate += tree.size();
      return null;
    }
    return tree;
  }

  private boolean take() {
    long now = clock.getAsLong();
    tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** Spans of trees not sent because more trees closed than the rate lets out (a sample, not a loss). */
  long overRate() {
    return overRate;
  }

  /** Spans dropped because too many waited for their root, or their root never closed. */
  long overflowed() {
    return overflowed;
  }
}
