package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The workers of one cluster job side by side, and per step who finished last, by how much and why. Workers are
 * compared step by step: a worker's k-th step against the other workers' k-th steps (under parameter averaging every
 * worker fits its share of each split and waits for the slowest at the aggregation, so the k-th batches of a split
 * are peers). The straggler of a step is the worker whose step took longest; its margin is how much longer than
 * the median of the others; its cause is the category that grew most over the others' median of that category.
 * Pure computation on what the workers' {@code summary.json} files hold.
 */
final class ClusterRuns {
  /** One worker: its name and its steps (number → wall and categories, ns). */
  static final class Worker {
    final String name;
    final String folder;
    final TreeMap<Long, long[]> walls = new TreeMap<>();
    final TreeMap<Long, Map<String, Long>> breakdowns = new TreeMap<>();

    Worker(String name, String folder) {
      this.name = name;
      this.folder = folder;
    }

    void add(long step, long wallNs, Map<String, Long> breakdown) {
      walls.put(step, new long[] {wallNs});
      breakdowns.put(step, breakdown);
    }
  }

  /** A step's straggler. */
  record Straggler(long step, String worker, long wallNs, long othersMedianNs, String cause, long causeNs) {
    long byNs() {
      return wallNs - othersMedianNs;
    }
  }

  final List<Worker> workers;
  final List<Straggler> stragglers = new ArrayList<>();
  /** Per worker: in how many compared steps it was the straggler. */
  final Map<String, Integer> slowestCount = new LinkedHashMap<>();
  /** Per worker: the causes named when it was the straggler, by count. */
  final Map<String, Map<String, Integer>> causes = new LinkedHashMap<>();

  /** @param all every worker; those without steps (a Spark driver) are listed but not compared */
  ClusterRuns(List<Worker> all, int warmup) {
    this.workers = all;
    List<Worker> workers = new ArrayList<>();
    for (Worker w : all) {
      slowestCount.put(w.name, 0);
      causes.put(w.name, new TreeMap<>());
      if (!w.walls.isEmpty()) {
        workers.add(w);
      }
    }
    if (workers.size() < 2) {
      return;
    }
    long last = Long.MAX_VALUE;
    for (Worker w : workers) {
      last = Math.min(last, w.walls.isEmpty() ? 0 : w.walls.lastKey());
    }
    for (long step = warmup + 1; step <= last; step++) {
      Worker slowest = null;
      for (Worker w : workers) {
        if (!w.walls.containsKey(step)) {
          slowest = null;
          break;
        }
        if (slowest == null || w.walls.get(step)[0] > slowest.walls.get(step)[0]) {
          slowest = w;
        }
      }
      if (slowest == null) {
        continue;
      }
      List<Long> others = new ArrayList<>();
      for (Worker w : workers) {
        if (w != slowest) {
          others.add(w.walls.get(step)[0]);
        }
      }
      String cause = null;
      long causeNs = Long.MIN_VALUE;
      for (Map.Entry<String, Long> c : slowest.breakdowns.get(step).entrySet()) {
        List<Long> theirs = new ArrayList<>();
        for (Worker w : workers) {
          if (w != slowest) {
            theirs.add(w.breakdowns.get(step).getOrDefault(c.getKey(), 0L));
          }
        }
        long grew = c.getValue() - median(theirs);
        if (grew > causeNs) {
          causeNs = grew;
          cause = c.getKey();
        }
      }
      Straggler s = new Straggler(step, slowest.name, slowest.walls.get(step)[0], median(others), cause, causeNs);
      stragglers.add(s);
      slowestCount.merge(slowest.name, 1, Integer::sum);
      causes.get(slowest.name).merge(cause, 1, Integer::sum);
    }
  }

  /** The worker that was the straggler in the most compared steps, or null when none was compared. */
  String straggler() {
    String best = null;
    for (Map.Entry<String, Integer> e : slowestCount.entrySet()) {
      if (e.getValue() > 0 && (best == null || e.getValue() > slowestCount.get(best))) {
        best = e.getKey();
      }
    }
    return best;
  }

  /** The cause named most often when {@code worker} was the straggler. */
  String topCause(String worker) {
    String best = null;
    for (Map.Entry<String, Integer> e : causes.get(worker).entrySet()) {
      if (best == null || e.getValue() > causes.get(worker).get(best)) {
        best = e.getKey();
      }
    }
    return best;
  }

  /** Median of a worker's step wall over the compared steps (after the warm-up). */
  long medianWall(Worker w, int warmup) {
    List<Long> v = new ArrayList<>();
    for (Map.Entry<Long, long[]> e : w.walls.entrySet()) {
      if (e.getKey() > warmup) {
        v.add(e.getValue()[0]);
      }
    }
    return median(v);
  }

  /** A worker's categories summed over its steps after the warm-up. */
  static Map<String, Long> totals(Worker w, int warmup) {
    Map<String, Long> t = new LinkedHashMap<>();
    for (Map.Entry<Long, Map<String, Long>> e : w.breakdowns.entrySet()) {
      if (e.getKey() > warmup) {
        e.getValue().forEach((k, v) -> t.merge(k, v, Long::sum));
      }
    }
    return t;
  }

  static long median(List<Long> values) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
