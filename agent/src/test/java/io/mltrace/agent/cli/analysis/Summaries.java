package io.mltrace.agent.cli.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/** Writes synthetic {@code summary.json} files in the agent's schema (with chosen per-step values) for tests. */
final class Summaries {
  static final String[] CATEGORIES = {"gc", "jit_safepoint", "memcpy", "data", "gemm", "other_compute", "idle",
      "framework", "unattributed"};

  private Summaries() {}

  /**
   * A run of {@code steps} steps: each category's per-step ns is {@code base[i]} plus noise of up to
   * {@code noise} of it (seeded), FLOPs {@code flopsPerStep} per step; {@code extra} is appended inside every
   * step (for fields a newer agent adds).
   */
  static Path write(Path dir, int steps, long[] base, double noise, long flopsPerStep, long seed, String extra)
      throws IOException {
    return write(dir, steps, base, base, noise, flopsPerStep, seed, extra);
  }

  /** As {@link #write}, with the second half of the steps at {@code laterBase} (a run whose load changed). */
  static Path write(Path dir, int steps, long[] base, long[] laterBase, double noise, long flopsPerStep, long seed,
      String extra) throws IOException {
    Files.createDirectories(dir);
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder("{\"schema_version\": 1, \"time_unit\": \"ns\", \"categories\": [");
    for (int i = 0; i < CATEGORIES.length; i++) {
      out.append(i == 0 ? "" : ", ").append('"').append(CATEGORIES[i]).append('"');
    }
    out.append("], \"measured_categories\": [\"gemm\", \"data\"], \"steps\": [");
    long totalWall = 0;
    for (int s = 1; s <= steps; s++) {
      StringBuilder breakdown = new StringBuilder();
      long wall = 0;
      for (int i = 0; i < CATEGORIES.length; i++) {
        long[] level = s > steps / 2 ? laterBase : base;
        long ns = Math.round(level[i] * (1 + noise * (random.nextDouble() * 2 - 1)));
        wall += ns;
        breakdown.append(i == 0 ? "" : ", ").append('"').append(CATEGORIES[i]).append("\": ").append(ns);
      }
      totalWall += wall;
      out.append(s == 1 ? "" : ", ").append(String.format(Locale.ROOT,
          "{\"step\": %d, \"wall_ns\": %d, \"breakdown_ns\": {%s}, \"flops\": %d, \"ops\": 5, \"ops_timed\": 5,"
              + " \"detailed\": true, \"memory\": {\"physical_bytes\": %d, \"sites\": []}%s}", s, wall, breakdown,
          flopsPerStep, 100_000_000 + s * 7919 % 1000, extra));
    }
    out.append(String.format(Locale.ROOT, "], \"totals\": {\"steps\": %d, \"wall_ns\": %d, \"flops\": %d},"
        + " \"op_stats\": [{\"kind\": \"gemm\", \"name\": \"linear\", \"count\": %d, \"total_ns\": %d,"
        + " \"mean_ns\": 10, \"flops\": %d, \"gflops\": 1.0}], \"steps_omitted\": 0}", steps, totalWall,
        flopsPerStep * steps, steps, steps * 1000L, flopsPerStep * steps));
    Path file = dir.resolve("summary.json");
    Files.writeString(file, out.toString());
    return file;
  }

  /**
   * A {@code trace.json} beside a summary of {@code steps} steps, in the trace writer's format: per step a step
   * event, a {@code forward} phase, a {@code gemm/linear} op of 1000 FLOPs, and a GPU
   * kernel {@code sgemm} launched in the step; the kernel lasts {@code kernelUs} (plus noise up to 10 %).
   */
  static void writeTrace(Path dir, int steps, double kernelUs, long seed) throws IOException {
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder("{\"traceEvents\": [{\"ph\": \"M\", \"name\": \"process_name\"}");
    for (int s = 1; s <= steps; s++) {
      double ts = s * 1000.0;
      out.append(String.format(Locale.ROOT, ",%n{\"ph\": \"X\", \"cat\": \"step\", \"name\": \"step %d\","
          + " \"ts\": %.3f, \"dur\": 900, \"args\": {\"step\": %d, \"flops\": 1000}}", s, ts, s));
      out.append(String.format(Locale.ROOT, ",%n{\"ph\": \"X\", \"cat\": \"phase\", \"name\": \"forward\","
          + " \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"span_id\": %d, \"parent_id\": 0, \"step\": %d}}", ts,
          300 + random.nextDouble() * 30, s * 10, s));
      out.append(String.format(Locale.ROOT, ",%n{\"ph\": \"X\", \"cat\": \"gemm\", \"name\": \"linear\","
          + " \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"span_id\": %d, \"parent_id\": %d, \"step\": %d,"
          + " \"flops\": 1000}}", ts + 1, 100 + random.nextDouble() * 10, s * 10 + 1, s * 10, s));
      out.append(String.format(Locale.ROOT, ",%n{\"ph\": \"X\", \"cat\": \"gpu.kernel\", \"name\": \"sgemm\","
          + " \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"span_id\": 0, \"in_step\": %d, \"device\": 0}}", ts + 2,
          kernelUs * (1 + random.nextDouble() * 0.1), s));
    }
    Files.writeString(dir.resolve("trace.json"), out.append("\n]}\n").toString());
  }

  /** Per-category base values in the order of {@link #CATEGORIES}. */
  static long[] base(long data, long gemm, long framework) {
    return new long[] {0, 0, 50_000, data, gemm, 300_000, 0, framework, 20_000};
  }
}
