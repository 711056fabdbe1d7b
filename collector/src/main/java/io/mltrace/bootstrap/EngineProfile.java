package io.mltrace.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges a PyTorch profiler trace (the Chrome-trace JSON that DJL's {@code JniUtils.stopProfile(file)} writes) into
 * the step being recorded: the events inside the step's backward pass become spans under the backward span, with
 * their measured times. The GEMM kernels ({@code aten::mm}, {@code addmm}, {@code bmm}, {@code baddbmm},
 * {@code convolution_backward}) become GEMM ops; the autograd functions around them
 * ({@code autograd::engine::evaluate_function: MmBackward0}...) become other ops named after the function.
 *
 * <p>Times: the profiler's {@code ts} counts microseconds from when it was enabled; the advice records
 * {@link System#nanoTime()} right after enabling it, which is that origin to within tens of microseconds (measured
 * on this project's machines), unless the thread was descheduled in between: then the profile's first autograd
 * function is put at the backward span's start ({@link #origin}). Events are clipped to the backward span.
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

  /**
   * Where the advice asks the engine to write this thread's profile (read and deleted by {@link #mergeInto}): in a
   * folder of this process's own, created on first use with owner-only permissions (where the file system has
   * them), so that no other user can plant a link at a predictable name for the engine to write through.
   */
  public static String fileFor(ThreadRecorder tr) {
    return PrivateFolder.PATH.resolve("profile-" + tr.threadId() + ".json").toString();
  }

  /** The process's private folder for profiles, created once, when a profiled step first asks. */
  private static final class PrivateFolder {
    static final Path PATH = create();

    private static Path create() {
      try {
        Path dir = Files.createTempDirectory("mltrace-profile-"); // rwx------ on POSIX file systems
        dir.toFile().deleteOnExit(); // empty by then: each profile is deleted once merged
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a private folder for the engine's profile", e);
      }
    }
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
    long from = profile.backwardStartNs();
    long to = profile.backwardEndNs();
    List<String> names = new ArrayList<>();
    List<double[]> times = new ArrayList<>();
    double firstAutograd = Double.NaN;
    int at = json.indexOf("\"name\"");
    while (at >= 0) {
      int next = json.indexOf("\"name\"", at + 6);
      int limit = next < 0 ? json.length() : next;
      String name = stringValue(json, at + 6, limit);
      double ts = numberValue(json, "\"ts\"", at, limit);
      double dur = numberValue(json, "\"dur\"", at, limit);
      at = next;
      if (name == null || Double.isNaN(ts) || Double.isNaN(dur) || kindOf(name) == 0) {
        continue;
      }
      names.add(name);
      times.add(new double[] {ts, dur});
      if (kindOf(name) == Kind.OP_OTHER && (Double.isNaN(firstAutograd) || ts < firstAutograd)) {
        firstAutograd = ts;
      }
    }
    long origin = origin(profile.originNs(), from, firstAutograd);
    int added = 0;
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      double ts = times.get(i)[0];
      double dur = times.get(i)[1];
      int kind = kindOf(name);
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

  /**
   * How far the advice's reading of the profiler's start may be from it before the profile's own backward pass
   * decides: the reading is taken right after enabling the profiler, within tens of microseconds of its origin, unless
   * the thread was descheduled in between. Read late by more than a whole backward pass, it puts every event past the
   * span: a clean-clone CI run once merged none (not reproduced; this is the cause the code allows).
   */
  static final long ORIGIN_TOLERANCE_NS = 1_000_000;

  /**
   * The profile's origin on this JVM's clock: {@code advised} (read right after the profiler started) unless the
   * profile's first autograd function ({@code firstAutogradUs} after its origin; NaN: none) would then start over
   * {@link #ORIGIN_TOLERANCE_NS} away from the backward span's start {@code backwardStartNs}, where the first
   * function of a backward pass starts (tens of microseconds after it); then the origin that puts it there.
   */
  static long origin(long advised, long backwardStartNs, double firstAutogradUs) {
    if (Double.isNaN(firstAutogradUs)) {
      return advised;
    }
    long aligned = backwardStartNs - (long) (firstAutogradUs * 1000);
    return Math.abs(aligned - advised) > ORIGIN_TOLERANCE_NS ? aligned : advised;
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
