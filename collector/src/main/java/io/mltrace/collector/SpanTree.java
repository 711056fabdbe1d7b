package io.mltrace.collector;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A detailed step's spans as a tree, built once by the collector: each span's parent (null for a span directly
 * under the step), children and depth, and the spans in start order with every parent before its children. GPU
 * records find the span that launched them here ({@link #byId}).
 *
 * <p>A span whose recorded parent is not among the step's spans (the step span itself, or a parent whose record
 * was lost) hangs directly under the step. Immutable; safe to read from any thread.
 */
public final class SpanTree {
  static final SpanTree EMPTY = new SpanTree(Collections.emptyList());

  /** Start order; at equal starts the longer span first, so a parent comes before the children it encloses. */
  static final Comparator<Span> START_ORDER = Comparator.comparingLong(Span::startNs)
      .thenComparing(Comparator.comparingLong(Span::endNs).reversed());

  private final List<Span> byStart;
  private final Map<Long, Span> byId;
  private final Map<Long, Span> parents;
  private final Map<Long, List<Span>> children;
  private final Map<Long, Integer> depths;
  private final List<Span> roots;

  private SpanTree(List<Span> spans) {
    List<Span> sorted = new ArrayList<>(spans);
    sorted.sort(START_ORDER);
    this.byStart = Collections.unmodifiableList(sorted);
    this.byId = new HashMap<>(spans.size() * 2);
    for (Span s : sorted) {
      byId.put(s.spanId(), s);
    }
    this.parents = new HashMap<>(spans.size() * 2);
    this.children = new HashMap<>();
    this.depths = new HashMap<>(spans.size() * 2);
    List<Span> top = new ArrayList<>();
    for (Span s : sorted) {
      Span parent = s.parentId() == s.spanId() ? null : byId.get(s.parentId());
      if (parent == null || !depths.containsKey(parent.spanId())) {
        top.add(s); // a parent that starts later cannot enclose it: treat as lost
        depths.put(s.spanId(), 1);
        continue;
      }
      parents.put(s.spanId(), parent);
      children.computeIfAbsent(parent.spanId(), k -> new ArrayList<>()).add(s);
      depths.put(s.spanId(), depths.get(parent.spanId()) + 1);
    }
    this.roots = Collections.unmodifiableList(top);
  }

  /** The tree of {@code spans} (a detailed step's spans, without the {@code STEP_OPS} record). */
  static SpanTree of(List<Span> spans) {
    return spans.isEmpty() ? EMPTY : new SpanTree(spans);
  }

  /** Every span in start order, each parent before its children. */
  public List<Span> inStartOrder() {
    return byStart;
  }

  /** The spans directly under the step, in start order. */
  public List<Span> roots() {
    return roots;
  }

  /** The span with this id, or null (not a span of this step). */
  public Span byId(long spanId) {
    return byId.get(spanId);
  }

  /** The enclosing span, or null for a span directly under the step. */
  public Span parent(Span s) {
    return parents.get(s.spanId());
  }

  /** The spans directly inside {@code s}, in start order. */
  public List<Span> children(Span s) {
    return children.getOrDefault(s.spanId(), Collections.emptyList());
  }

  /** 1 for a span directly under the step, 2 inside such a span, and so on; 0 for a span not in the tree. */
  public int depth(Span s) {
    return depths.getOrDefault(s.spanId(), 0);
  }

  public int size() {
    return byStart.size();
  }
}
