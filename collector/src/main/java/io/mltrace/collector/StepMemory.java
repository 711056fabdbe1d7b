package io.mltrace.collector;

import io.mltrace.bootstrap.MemorySlots;
import io.mltrace.bootstrap.Slots;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A step's memory: the value of each {@link MemorySeries} that was measured in it (a series that was not is absent,
 * not zero), and, for a detailed step, the creation sites of the tensors that outlived the steps that created them
 * and are alive at this step's end ({@link MemorySite}, largest first); in every step, the step's own surviving
 * tensors by holder where the framework names one ({@link #aliveByHolder}).
 *
 * <p>Filled on the collector thread while the step is assembled (the bridge's record, then the series derived
 * from JFR and CUPTI), then read-only.
 */
public final class StepMemory {
  static final StepMemory NONE = new StepMemory();

  private final Map<MemorySeries, Long> values = new EnumMap<>(MemorySeries.class);
  private final List<MemorySite> sites = new ArrayList<>();
  private final List<MemorySite> holders = new ArrayList<>(0);

  StepMemory() {}

  /** The series of a {@code Kind.STEP_MEMORY} record; bit i of its FLOPS slot says slot i was measured. */
  static StepMemory fromRecord(long[] r, int base) {
    StepMemory m = new StepMemory();
    m.addRecord(r, base);
    return m;
  }

  void addRecord(long[] r, int base) {
    long mask = r[base + Slots.FLOPS];
    for (int i = 0; i < MemorySlots.COUNT; i++) {
      if ((mask & (1L << i)) != 0) {
        values.put(MemorySeries.ofSlot(i), r[base + Slots.DIMS + i]);
      }
    }
  }

  /**
   * A {@code Kind.MEMORY_SITE} record: a creation site of outliving tensors, or, for the series
   * {@link MemorySeries#STEP_ARRAYS_ALIVE_BYTES}, a holder of the step's own survivors (its name as the site).
   */
  void addSiteRecord(String site, long[] r, int base) {
    MemorySite s = new MemorySite(site, MemorySeries.ofSlot((int) r[base + MemorySlots.SITE_SERIES]),
        r[base + MemorySlots.SITE_BYTES], r[base + MemorySlots.SITE_COUNT]);
    if (s.series() != MemorySeries.STEP_ARRAYS_ALIVE_BYTES) {
      sites.add(s);
      return;
    }
    // Holders with the same label are one line (a batch's manager and its sub-manager, both named "batch").
    for (int i = 0; i < holders.size(); i++) {
      MemorySite h = holders.get(i);
      if (h.site().equals(site)) {
        holders.set(i, new MemorySite(site, h.series(), h.bytes() + s.bytes(), h.count() + s.count()));
        return;
      }
    }
    holders.add(s);
  }

  /** A {@code Kind.MEMORY_HOLDER} record; returns its series. */
  MemorySeries addHolderRecord(long[] r, int base) {
    MemorySeries series = MemorySeries.ofHolder((int) r[base + MemorySlots.HOLDER_ID]);
    values.put(series, r[base + MemorySlots.HOLDER_BYTES]);
    return series;
  }

  void set(MemorySeries series, long value) {
    values.put(series, value);
  }

  void addSite(MemorySite site) {
    sites.add(site);
  }

  /** True when the series was measured in this step. */
  public boolean has(MemorySeries series) {
    return values.containsKey(series);
  }

  /** The series' value; 0 when it was not measured ({@link #has}). */
  public long value(MemorySeries series) {
    Long v = values.get(series);
    return v == null ? 0 : v;
  }

  /** The measured series and their values, in {@link MemorySeries} order. */
  public Map<MemorySeries, Long> values() {
    return Collections.unmodifiableMap(values);
  }

  /** True when the step carries creation sites (cheaper than {@link #sites()}, which sorts a copy). */
  public boolean hasSites() {
    return !sites.isEmpty();
  }

  /** True when nothing was measured. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  /**
   * Sites of tensors created in sampled steps that outlived their step and were alive at this step's end, largest
   * first; empty in a step that was not detailed.
   */
  public List<MemorySite> sites() {
    return largestFirst(sites);
  }

  /**
   * The tensors created in this step and alive at its end, by what holds them (a DJL {@code NDManager}, named as the
   * framework names it, {@code (unnamed under <parent>)} otherwise), largest first; empty where the framework's hook
   * names no holder (ND4J) or memory is off. Their bytes add up to {@link MemorySeries#STEP_ARRAYS_ALIVE_BYTES}.
   */
  public List<MemorySite> aliveByHolder() {
    return largestFirst(holders);
  }

  private static List<MemorySite> largestFirst(List<MemorySite> list) {
    List<MemorySite> sorted = new ArrayList<>(list);
    sorted.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
    return sorted;
  }
}
