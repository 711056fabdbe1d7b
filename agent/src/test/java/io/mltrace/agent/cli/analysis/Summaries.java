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
        long ns = Math.round(base[i] * (1 + noise * (random.nextDouble() * 2 - 1)));
        wall += ns;
        breakdown.append(i == 0 ? "" : ", ").append('"').append(CATEGORIES[i]).append("\": ").append(ns);
      }
      totalWall += wall;
      out.append(s == 1 ? "" : ", ").append(String.format(Locale.ROOT,
          "{\"step\": %d, \"wall_ns\": %d, \"breakdown_ns\": {%s}, \"flops\": %d, \"ops\": 5, \"ops_timed\": 5,"
              + " \"detailed\": true%s}", s, wall, breakdown, flopsPerStep, extra));
    }
    out.append(String.format(Locale.ROOT, "], \"totals\": {\"steps\": %d, \"wall_ns\": %d, \"flops\": %d},"
        + " \"op_stats\": [{\"kind\": \"gemm\", \"name\": \"linear\", \"count\": %d, \"total_ns\": %d,"
        + " \"mean_ns\": 10, \"flops\": %d, \"gflops\": 1.0}], \"steps_omitted\": 0}", steps, totalWall,
        flopsPerStep * steps, steps, steps * 1000L, flopsPerStep * steps));
    Path file = dir.resolve("summary.json");
    Files.writeString(file, out.toString());
    return file;
  }

  /** Per-category base values in the order of {@link #CATEGORIES}. */
  static long[] base(long data, long gemm, long framework) {
    return new long[] {0, 0, 50_000, data, gemm, 300_000, 0, framework, 20_000};
  }
}
