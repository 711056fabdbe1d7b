package io.mltrace.collector;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Finds memory levels that grow step after step, under a {@link LeakRule}, and names the creation sites of what
 * outlives its steps. Fed every finished step on the collector thread; {@link #suspects()} may be read from any
 * thread. Memory is bounded: {@link LeakRule#window()} points per series, the latest site snapshot per thread.
 */
public final class LeakFinder {
  /**
   * How often (in points of a series) its window is judged again: a judgement takes the window's 2,016 pairwise slopes
   * (tens of microseconds), which the collector thread should not pay every step of a millisecond-step job.
   */
  static final int JUDGE_EVERY = 32;
  private static final int MAX_THREADS_WITH_SITES = 256;

  private final LeakRule rule;
  private final Consumer<Leak> onNewSuspect;
  private final Map<MemorySeries, Window> windows = new EnumMap<>(MemorySeries.class);
  /**
   * The latest site snapshot of each thread (that of its latest detailed step with sites), one for the bridge's
   * sites and one for the collector's (key: thread id × 2, + 1 for the bridge's).
   */
  private final Map<Long, List<MemorySite>> sitesByThread = new LinkedHashMap<>();
  private final Map<MemorySeries, Long> firstSeen = new EnumMap<>(MemorySeries.class);
  private volatile List<Leak> suspects = List.of();

  /**
   * @param onNewSuspect called (on the collector thread) once when a series becomes a suspect, and again only after
   *     it stopped being one
   */
  public LeakFinder(LeakRule rule, Consumer<Leak> onNewSuspect) {
    this.rule = rule;
    this.onNewSuspect = onNewSuspect;
  }

  /**
   * Adds a finished step's memory: the series the collector derives (the heap after a collection, GPU memory) and
   * their sites. The bridge's own series come earlier, through {@link #onRecordedStep}.
   */
  public void onStep(Step step) {
    feed(step.number(), step.threadId(), step.detailed(), step.memory(), false);
  }

  /**
   * Adds the series the bridge recorded for a step, as soon as its record is drained: not after the step has waited
   * for its JVM and GPU events (up to seconds), so that a tensor leak is suspected while the job still runs and its
   * sampled steps can start taking creation sites.
   */
  public void onRecordedStep(long number, long threadId, boolean detailed, StepMemory memory) {
    feed(number, threadId, detailed, memory, true);
  }

  private void feed(long number, long threadId, boolean detailed, StepMemory memory, boolean recorded) {
    if (detailed || memory.hasSites()) {
      List<MemorySite> sites = new ArrayList<>();
      for (MemorySite site : memory.sites()) {
        if (site.series().recordedByBridge() == recorded) {
          sites.add(site);
        }
      }
      Long key = threadId * 2 + (recorded ? 1 : 0);
      if (!sites.isEmpty() || sitesByThread.containsKey(key)) {
        if (sitesByThread.size() >= MAX_THREADS_WITH_SITES && !sitesByThread.containsKey(key)) {
          sitesByThread.remove(sitesByThread.keySet().iterator().next());
        }
        sitesByThread.put(key, sites);
        refreshSites();
      }
    }
    if (number <= rule.warmupSteps()) {
      return;
    }
    boolean changed = false;
    for (Map.Entry<MemorySeries, Long> e : memory.values().entrySet()) {
      MemorySeries series = e.getKey();
      if (!series.isLeakCandidate() || series.recordedByBridge() != recorded) {
        continue;
      }
      Window w = windows.computeIfAbsent(series, s -> new Window(rule.window()));
      w.add(number, e.getValue());
      if (w.size >= rule.minPoints() && w.added % JUDGE_EVERY == 0) {
        changed |= judge(series, w);
      }
    }
    if (changed) {
      publish();
    }
  }

  /** The series that are suspects now, largest growth first. */
  public List<Leak> suspects() {
    return suspects;
  }

  private final Map<MemorySeries, Leak> current = new EnumMap<>(MemorySeries.class);

  /** Judges a series' window; true when its verdict or estimate changed. */
  private boolean judge(MemorySeries series, Window w) {
    double[] fit = w.theilSen();
    boolean suspect = fit[0] >= rule.floor(series) && fit[1] >= rule.consistency();
    if (!suspect) {
      firstSeen.remove(series);
      return current.remove(series) != null;
    }
    long toStep = w.lastX();
    boolean isNew = !firstSeen.containsKey(series);
    long first = firstSeen.computeIfAbsent(series, s -> toStep);
    Leak leak = new Leak(series, fit[0], w.firstX(), toStep, w.size, first, sitesOf(series));
    current.put(series, leak);
    if (isNew) {
      try {
        onNewSuspect.accept(leak);
      } catch (RuntimeException e) {
        // the callback prints a console line; a failing console must not stop the finder
      }
    }
    return true;
  }

  /** A new site snapshot: the current suspects name the sites alive now (a window is judged only every few points). */
  private void refreshSites() {
    if (current.isEmpty()) {
      return;
    }
    for (Map.Entry<MemorySeries, Leak> e : current.entrySet()) {
      Leak l = e.getValue();
      e.setValue(new Leak(l.series(), l.bytesPerStep(), l.fromStep(), l.toStep(), l.points(), l.firstSeenStep(),
          sitesOf(l.series())));
    }
    publish();
  }

  private void publish() {
    List<Leak> list = new ArrayList<>(current.values());
    list.sort((a, b) -> Double.compare(b.bytesPerStep(), a.bytesPerStep()));
    suspects = List.copyOf(list);
  }

  /**
   * Sites counted in {@code series}, summed over the threads' latest snapshots, largest first. The tensors that
   * outlive their steps are DJL's arrays or ND4J's buffers, whose sites the bridge writes as
   * {@link MemorySeries#ARRAYS_LIVE_BYTES}: they also name a suspect {@link MemorySeries#DETACHED_LIVE_BYTES}
   * (ND4J's detached buffers, which {@code arrays_live_bytes} counts only with {@code memory=full}).
   */
  private List<MemorySite> sitesOf(MemorySeries series) {
    MemorySeries counted = series == MemorySeries.DETACHED_LIVE_BYTES ? MemorySeries.ARRAYS_LIVE_BYTES : series;
    Map<String, long[]> sum = new HashMap<>();
    for (List<MemorySite> snapshot : sitesByThread.values()) {
      for (MemorySite s : snapshot) {
        if (s.series() == counted) {
          long[] v = sum.computeIfAbsent(s.site(), k -> new long[2]);
          v[0] += s.bytes();
          v[1] += s.count();
        }
      }
    }
    List<MemorySite> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : sum.entrySet()) {
      out.add(new MemorySite(e.getKey(), series, e.getValue()[0], e.getValue()[1]));
    }
    out.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
    return out.size() > 10 ? out.subList(0, 10) : out;
  }

  /** The last {@code capacity} points (step, value) of one series. */
  static final class Window {
    private final long[] xs;
    private final long[] ys;
    private int next;
    int size;
    long added;

    Window(int capacity) {
      xs = new long[capacity];
      ys = new long[capacity];
    }

    void add(long x, long y) {
      xs[next] = x;
      ys[next] = y;
      next = (next + 1) % xs.length;
      size = Math.min(size + 1, xs.length);
      added++;
    }

    private int index(int i) {
      return (next - size + i + xs.length) % xs.length;
    }

    long firstX() {
      return xs[index(0)];
    }

    long lastX() {
      return xs[index(size - 1)];
    }

    /**
     * The Theil-Sen slope (median of the pairwise slopes) and the share of pairs in which the value rose, over pairs
     * of distinct steps.
     */
    double[] theilSen() {
      if (flat()) {
        return new double[] {0, 0}; // the common case of a steady job: no pair to look at
      }
      double[] slopes = new double[size * (size - 1) / 2];
      int n = 0;
      int rose = 0;
      for (int i = 0; i < size; i++) {
        int a = index(i);
        for (int j = i + 1; j < size; j++) {
          int b = index(j);
          long dx = xs[b] - xs[a];
          if (dx == 0) {
            continue;
          }
          double slope = (double) (ys[b] - ys[a]) / dx;
          slopes[n++] = slope;
          if (slope > 0) {
            rose++;
          }
        }
      }
      if (n == 0) {
        return new double[] {0, 0};
      }
      double median = n % 2 == 1 ? select(slopes, n, n / 2)
          : (select(slopes, n, n / 2 - 1) + select(slopes, n, n / 2)) / 2;
      return new double[] {median, (double) rose / n};
    }

    private boolean flat() {
      long first = ys[index(0)];
      for (int i = 1; i < size; i++) {
        if (ys[index(i)] != first) {
          return false;
        }
      }
      return true;
    }

    /** The k-th smallest of {@code a[0..n)} (reorders it): quickselect, linear on average, no allocation. */
    static double select(double[] a, int n, int k) {
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        double pivot = a[(lo + hi) >>> 1];
        int i = lo;
        int j = hi;
        while (i <= j) {
          while (a[i] < pivot) {
            i++;
          }
          while (a[j] > pivot) {
            j--;
          }
          if (i <= j) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
          }
        }
        if (k <= j) {
          hi = j;
        } else if (k >= i) {
          lo = i;
        } else {
          return a[k];
        }
      }
      return a[k];
    }
  }
}
