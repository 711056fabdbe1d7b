package io.mltrace.agent.cli.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The workers of one cluster job side by side, and per step who finished last, by how much and why. Workers are
 * compared iteration by iteration when every worker's steps carry the framework's iteration count (DL4J's, which
 * Spark's parameter averaging hands to every worker with the averaged model: the same count is the same global
 * iteration everywhere, whichever step of each worker ran it); else step by step, a worker's k-th step against the
 * others' k-th (the same iteration while the workers started together and ran alike: under parameter averaging
 * every worker fits its share of each split and waits for the slowest at the aggregation). The straggler of a step is the worker whose step took longest; its margin is how much longer than
 * the median of the others; its cause is the category that grew most over the others' median of that category.
 * Where the workers' steps say when they began and the workers share a clock (each measured its offset to the
 * driver's, or all ran on one host), each compared iteration also names the worker that finished it last and by how
 * much after the median of the others' finishes: the one the others waited for at the next aggregation, whose lag
 * accumulates over a split while its step times say only how much each step added. Pure computation on what the workers' {@code summary.json} files hold.
 */
final class ClusterRuns {
  /** The cluster breakdown's category for a worker's wait between splits: see {@link Worker#waitedBetweenSplits}. */
  static final String SPLIT_WAIT = "split_wait";

  /** One worker: its name and its steps (number → wall and categories, ns; iteration → number where known). */
  static final class Worker {
    final String name;
    final String folder;
    final TreeMap<Long, long[]> walls = new TreeMap<>();
    final TreeMap<Long, Map<String, Long>> breakdowns = new TreeMap<>();
    final TreeMap<Long, Long> stepOfIteration = new TreeMap<>();
    /** The driver's clock minus this worker's (summary.json's {@code clock}); null when not measured. */
    Long clockOffsetNs;
    long clockErrorNs;
    /** Time taken out of the steps as waiting between splits ({@link #waitedBetweenSplits}). */
    long splitWaitNs;
    /** The worker's host (summary.json's {@code worker.host}), or null. */
    String host;
    /** Step number → its start on the worker's own clock ({@code start_ns}), where the summary has it. */
    final TreeMap<Long, Long> starts = new TreeMap<>();

    Worker(String name, String folder) {
      this.name = name;
      this.folder = folder;
    }

    /** The wall compared ({@code [0]}: less any wait between splits) and the step's own ({@code [1]}). */
    void add(long step, long wallNs, Map<String, Long> breakdown) {
      walls.put(step, new long[] {wallNs, wallNs});
      breakdowns.put(step, breakdown);
    }

    /**
     * Step {@code step} held {@code waitNs} before this worker's next task began: it had finished its share of a
     * split and waited for the others, the averaging and the driver's next round. The worker's own accounting put that
     * time where it could: {@code idle} (JFR saw the thread parked for a task), else {@code data} (the gap before the
     * step's first fetch), else {@code unattributed}. It moves, in that order and at most {@code waitNs}, to
     * {@link #SPLIT_WAIT}, and leaves the wall the workers are compared by.
     */
    void waitedBetweenSplits(long step, long waitNs) {
      Map<String, Long> b = breakdowns.get(step);
      long left = waitNs;
      for (String from : List.of("idle", "data", "unattributed")) {
        long moved = Math.min(left, b.getOrDefault(from, 0L));
        if (moved > 0) {
          b.put(from, b.get(from) - moved);
          b.merge(SPLIT_WAIT, moved, Long::sum);
          left -= moved;
        }
      }
      long moved = waitNs - left;
      walls.get(step)[0] -= moved;
      splitWaitNs += moved;
    }

    /** A step that carries the framework's iteration count ({@code iteration} in summary.json). */
    void add(long step, long iteration, long wallNs, Map<String, Long> breakdown) {
      add(step, wallNs, breakdown);
      stepOfIteration.put(iteration, step);
    }

    boolean everyStepHasItsIteration() {
      return !walls.isEmpty() && stepOfIteration.size() == walls.size();
    }

    /** This worker's step for a comparison key (an iteration or a step number), or null. */
    Long step(long key, boolean byIteration) {
      return byIteration ? stepOfIteration.get(key) : walls.containsKey(key) ? Long.valueOf(key) : null;
    }
  }

  /**
   * A compared iteration's straggler: {@code key} is the iteration (when {@link #byIteration}) or the step number,
   * {@code step} the straggler's own step.
   */
  record Straggler(long key, long step, String worker, long wallNs, long othersMedianNs, String cause,
      long causeNs, String finishedLast, long finishLagNs) {
    long byNs() {
      return wallNs - othersMedianNs;
    }
  }

  final List<Worker> workers;
  /** True when the workers were compared by the framework's iteration count, not by step number. */
  final boolean byIteration;
  final List<Straggler> stragglers = new ArrayList<>();
  /** Per worker: in how many compared steps it was the straggler. */
  final Map<String, Integer> slowestCount = new LinkedHashMap<>();
  /** Per worker: the causes named when it was the straggler, by count. */
  final Map<String, Map<String, Integer>> causes = new LinkedHashMap<>();
  /**
   * On which clock the workers' finishes were compared: {@code driver} (every worker measured its offset to it),
   * {@code host} (no offsets, but one host's monotonic clock), or null (not comparable: then no finish order).
   */
  final String finishClock;
  /** Per worker: in how many compared steps it finished last (with {@link #finishClock}). */
  final Map<String, Integer> lastCount = new LinkedHashMap<>();

  /** @param all every worker; those without steps (a Spark driver) are listed but not compared */
  ClusterRuns(List<Worker> all, int warmup) {
    this.workers = all;
    List<Worker> workers = new ArrayList<>();
    for (Worker w : all) {
      lastCount.put(w.name, 0);
      slowestCount.put(w.name, 0);
      causes.put(w.name, new TreeMap<>());
      if (!w.walls.isEmpty()) {
        workers.add(w);
      }
    }
    boolean iterations = workers.size() >= 2;
    for (Worker w : workers) {
      iterations &= w.everyStepHasItsIteration();
    }
    this.byIteration = iterations;
    this.finishClock = workers.size() < 2 ? null : finishClock(workers);
    if (workers.size() < 2) {
      return;
    }
    // The keys every compared worker has, in order; a key is compared once every worker's step for it is past the
    // warm-up.
    TreeSet<Long> keys = new TreeSet<>(byIteration ? workers.get(0).stepOfIteration.keySet()
        : workers.get(0).walls.keySet());
    for (Worker w : workers) {
      keys.retainAll(byIteration ? w.stepOfIteration.keySet() : w.walls.keySet());
    }
    for (long key : keys) {
      Worker slowest = null;
      Map<Worker, Long> stepOf = new HashMap<>();
      boolean warm = true;
      for (Worker w : workers) {
        long step = w.step(key, byIteration);
        stepOf.put(w, step);
        warm &= step > warmup;
        if (slowest == null || w.walls.get(step)[0] > slowest.walls.get(stepOf.get(slowest))[0]) {
          slowest = w;
        }
      }
      if (!warm) {
        continue;
      }
      List<Long> others = new ArrayList<>();
      for (Worker w : workers) {
        if (w != slowest) {
          others.add(w.walls.get(stepOf.get(w))[0]);
        }
      }
      String cause = null;
      long causeNs = Long.MIN_VALUE;
      for (Map.Entry<String, Long> c : slowest.breakdowns.get(stepOf.get(slowest)).entrySet()) {
        if (c.getKey().equals(SPLIT_WAIT)) {
          continue; // out of the step times compared: a wait is no cause
        }
        List<Long> theirs = new ArrayList<>();
        for (Worker w : workers) {
          if (w != slowest) {
            theirs.add(w.breakdowns.get(stepOf.get(w)).getOrDefault(c.getKey(), 0L));
          }
        }
        long grew = c.getValue() - median(theirs);
        if (grew > causeNs) {
          causeNs = grew;
          cause = c.getKey();
        }
      }
      // Who finished this iteration last, on one clock: the start plus the wall, moved by the worker's offset.
      String last = null;
      long lag = 0;
      if (finishClock != null && workers.stream().allMatch(w -> w.starts.containsKey(stepOf.get(w)))) {
        Map<Worker, Long> end = new HashMap<>();
        Worker latest = null;
        for (Worker w : workers) {
          long st = stepOf.get(w);
          end.put(w, w.starts.get(st) + w.walls.get(st)[1] + (w.clockOffsetNs == null ? 0 : w.clockOffsetNs));
          if (latest == null || end.get(w) > end.get(latest)) {
            latest = w;
          }
        }
        List<Long> otherEnds = new ArrayList<>();
        for (Worker w : workers) {
          if (w != latest) {
            otherEnds.add(end.get(w));
          }
        }
        last = latest.name;
        lag = end.get(latest) - median(otherEnds);
        lastCount.merge(last, 1, Integer::sum);
      }
      long step = stepOf.get(slowest);
      Straggler s = new Straggler(key, step, slowest.name, slowest.walls.get(step)[0], median(others), cause,
          causeNs, last, lag);
      stragglers.add(s);
      slowestCount.merge(slowest.name, 1, Integer::sum);
      causes.get(slowest.name).merge(cause, 1, Integer::sum);
    }
  }

  /** Whether and on which clock finishes compare: see {@link #finishClock}. */
  private static String finishClock(List<Worker> workers) {
    if (workers.stream().allMatch(w -> w.clockOffsetNs != null)) {
      return "driver";
    }
    String host = workers.get(0).host;
    return host != null && workers.stream().allMatch(w -> w.clockOffsetNs == null && host.equals(w.host))
        ? "host" : null;
  }

  /** The worker that finished last in the most compared steps, or null when finishes were not compared. */
  String lastToFinish() {
    return mostOften(lastCount);
  }

  /** The worker that was the straggler in the most compared steps, or null when none was compared. */
  String straggler() {
    return mostOften(slowestCount);
  }

  /** The worker counted most (the first of equals), or null when none was counted. */
  private static String mostOften(Map<String, Integer> counts) {
    String best = null;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (e.getValue() > 0 && (best == null || e.getValue() > counts.get(best))) {
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
