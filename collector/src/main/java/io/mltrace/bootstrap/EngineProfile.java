package io.mltrace.bootstrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Merges a PyTorch profiler trace (the Chrome-trace JSON that DJL's {@code JniUtils.stopProfile(file)} writes) into
 * the step being recorded: the events inside the step's backward pass become spans under the backward span, with
 * their measured times. The GEMM kernels ({@code aten::mm}, {@code addmm}, {@code bmm}, {@code baddbmm},
 * {@code convolution_backward}) become GEMM ops; the autograd functions around them
 * ({@code autograd::engine::evaluate_function: MmBackward0}...) become other ops named after the function.
 *
 * <p>Times: the profiler's {@code ts} counts microseconds from when it was enabled; the advice records
 * {@link System#nanoTime()} right after enabling it, which is that origin to within tens of microseconds (measured
 * on this project's machines). Events are clipped to the backward span.
 *
 * <p>Runs on the training thread, in profiled steps only (which pay the profiler anyway): it allocates and reads a
 * file, unlike the rest of the hot path. The advice that drives the engine's profiler calls the public methods
 * here; which steps are profiled is {@link SamplingPolicy#withProfileEvery}'s.
 */
public final class EngineProfile {
  static final String[] GEMM_KERNELS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm",
      "aten::convolution_backward"};
  static final String AUTOGRAD_FUNCTION = "autograd::engine::evaluate_function: ";

  private EngineProfile() {}

  /** True when the engine's profiler is to run during the thread's current step. */
  public static boolean profiling(ThreadRecorder tr) {
    return tr != null && tr.stepProfiled();
  }

  /** The advice started the engine's profiler now: its event times count from here. */
  public static void started(ThreadRecorder tr, long nanoTime) {
    if (tr != null) {
      tr.profile().started(nanoTime);
    }
  }

  /** Where the advice asks the engine to write this thread's profile (read and deleted by {@link #mergeInto}). */
  public static String fileFor(ThreadRecorder tr) {
    return System.getProperty("java.io.tmpdir") + java.io.File.separator + "mltrace-profile-" + ProcessHandle
        .current().pid() + "-" + tr.threadId() + ".json";
  }

  /**
   * Merges the profile the advice just wrote into the current step; returns the number of spans added. Runs on the
   * training thread in profiled steps only.
   */
  public static int mergeInto(ThreadRecorder tr, String file) {
    if (tr == null || !tr.stepProfiled() || tr.profile().originNs() == 0) {
      return 0;
    }
    return merge(tr, file);
  }

  static int merge(ThreadRecorder tr, String file) {
    Path path = Paths.get(file);
    String json;
    try {
      json = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return 0;
    } finally {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // A stale temporary file is harmless; the next profile overwrites it.
      }
    }
    ProfiledStep profile = tr.profile();
    long parent = profile.backwardSpanId();
    if (parent == 0) {
      return 0;
    }
    long origin = profile.originNs();
    long from = profile.backwardStartNs();
    long to = profile.backwardEndNs();
    int added = 0;
    int at = json.indexOf("\"name\"");
    while (at >= 0) {
      int next = json.indexOf("\"name\"", at + 6);
      int limit = next < 0 ? json.length() : next;
      String name = stringValue(json, at + 6, limit);
      double ts = numberValue(json, "\"ts\"", at, limit);
      double dur = numberValue(json, "\"dur\"", at, limit);
      at = next;
      if (name == null || Double.isNaN(ts) || Double.isNaN(dur)) {
        continue;
      }
      int kind = kindOf(name);
      if (kind == 0) {
        continue;
      }
      long start = Math.max(from, origin + (long) (ts * 1000));
      long end = Math.min(to, origin + (long) ((ts + dur) * 1000));
      if (end <= start) {
        continue;
      }
      int base = tr.claimDerived(Slots.header(kind), start, end, parent);
      if (base >= 0) {
        tr.commit(base, kind == Kind.OP_GEMM ? name : name.substring(AUTOGRAD_FUNCTION.length()));
        added++;
      }
    }
    return added;
  }

  /** {@link Kind#OP_GEMM} for a GEMM kernel, {@link Kind#OP_OTHER} for an autograd function, else 0. */
  static int kindOf(String name) {
    for (String k : GEMM_KERNELS) {
      if (k.equals(name)) {
        return Kind.OP_GEMM;
      }
    }
    return name.startsWith(AUTOGRAD_FUNCTION) ? Kind.OP_OTHER : 0;
  }

  /** The string after the next colon in {@code [from, limit)}; null when absent. Escapes are kept as written. */
  private static String stringValue(String json, int from, int limit) {
    int colon = json.indexOf(':', from);
    int open = colon < 0 ? -1 : json.indexOf('"', colon);
    if (open < 0 || open >= limit) {
      return null;
    }
    int close = open + 1;
    while (close < limit && (json.charAt(close) != '"' || json.charAt(close - 1) == '\\')) {
      close++;
    }
    return close < limit ? json.substring(open + 1, close) : null;
  }

  /** The number after {@code key:} in {@code [from, limit)}; NaN when absent. */
  private static double numberValue(String json, String key, int from, int limit) {
    int k = json.indexOf(key, from);
    if (k < 0 || k >= limit) {
      return Double.NaN;
    }
    int i = json.indexOf(':', k) + 1;
    while (i < limit && Character.isWhitespace(json.charAt(i))) {
      i++;
    }
    int j = i;
    while (j < limit && "+-.0123456789eE".indexOf(json.charAt(j)) >= 0) {
      j++;
    }
    try {
      return Double.parseDouble(json.substring(i, j));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
