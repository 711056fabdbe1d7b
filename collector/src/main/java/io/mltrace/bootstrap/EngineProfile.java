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
 * on this project's machines), and late by more where the thread was descheduled in between: then the origin is moved
 * by just enough to bring the profile's autograd functions inside the backward span ({@link #origin}). Events are
 * clipped to the backward span.
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
    double lastAutogradEnd = Double.NaN;
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
      if (kindOf(name) == Kind.OP_OTHER) {
        if (Double.isNaN(firstAutograd) || ts < firstAutograd) {
          firstAutograd = ts;
        }
        if (Double.isNaN(lastAutogradEnd) || ts + dur > lastAutogradEnd) {
          lastAutogradEnd = ts + dur;
        }
      }
    }
    long origin = origin(profile.originNs(), from, to, firstAutograd, lastAutogradEnd);
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
   * The profile's origin on this JVM's clock. The advice reads {@code advised} right after enabling the profiler, so
   * it is late by however long the profiler took after taking its own origin, or by more where the thread was
   * descheduled in between; never early. The autograd functions (from {@code firstAutogradUs} to
   * {@code lastAutogradEndUs} after the origin; NaN: none) run inside the backward span
   * {@code [backwardStartNs, backwardEndNs]}, so an origin that maps any of them outside it is off, and is moved by
   * just enough to bring them inside: a late reading puts the last function's end at the span's end. Why not a
   * tolerance: the DJL MLP's backward pass lasts a few hundred microseconds, and a reading late by less than a
   * tolerance of 1 ms could clip its last GEMM off the span (a clean-clone CI run once found 2 of its 3 backward
   * GEMMs: not reproduced, and this is the cause the old code allowed); late by more than the whole pass, every event
   * (another run once merged none). Where the functions span more than the backward span (not seen), the first is put
   * at its start.
   */
  static long origin(long advised, long backwardStartNs, long backwardEndNs, double firstAutogradUs,
      double lastAutogradEndUs) {
    if (Double.isNaN(firstAutogradUs) || Double.isNaN(lastAutogradEndUs)) {
      return advised;
    }
    long first = advised + (long) (firstAutogradUs * 1000);
    long last = advised + (long) (lastAutogradEndUs * 1000);
    if (first < backwardStartNs || last - first > backwardEndNs - backwardStartNs) {
      return advised + backwardStartNs - first; // the first function at the span's start
    }
    return last > backwardEndNs ? advised - (last - backwardEndNs) : advised;
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
