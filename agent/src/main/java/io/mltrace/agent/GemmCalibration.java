package io.mltrace.agent;

import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The peak GEMM throughput that utilization is measured against, when the user gives none ({@code peak_gflops}):
 * measured once by a calibration GEMM through the job's own engine (DJL or ND4J, whichever is loaded), and cached
 * per engine, CPU model and thread setting in {@code ~/.cache/mltrace/calibration.properties}.
 *
 * <p>Why through the engine: the peak that matters is what this engine's GEMM reaches on this machine with these
 * threads; a Java loop measures something else. Why after the first step: the engine is loaded and initialised
 * then. The calibration runs once on its own daemon thread ({@code mltrace-calibration}; a few 512×512 products,
 * tens of milliseconds), so its ops appear in the trace on that thread, outside any step. Its operands are ones,
 * not random: drawing from the engine's generator would change the job's random sequence (a GEMM's speed does not
 * depend on the values). Any failure leaves the peak unknown (0) and utilization unreported.
 */
final class GemmCalibration implements StepSink {
  static final int N = 512;
  static final int REPEATS = 5;

  private final Instrumentation inst;
  private final Path cacheFile;
  private volatile double peakGflops;
  private boolean started;
  private volatile Thread thread;

  GemmCalibration(Instrumentation inst, Path cacheFile) {
    this.inst = inst;
    this.cacheFile = cacheFile;
  }

  /**
   * The calibrated peak in GFLOP/s, or 0 if unknown. While a calibration runs, waits for it (at most 2 s, on the
   * collector thread that writes the outputs) so that a short job still gets its utilization.
   */
  double peakGflops() {
    Thread t = thread;
    if (t != null && t.isAlive()) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return peakGflops;
  }

  /** Starts the calibration at the first step (collector thread; the calibration itself runs on its own thread). */
  @Override
  public void onStep(Step step) {
    if (started) {
      return;
    }
    started = true;
    Thread t = new Thread(this::calibrate, "mltrace-calibration");
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  private void calibrate() {
    try {
      Class<?> djl = loaded("ai.djl.ndarray.NDManager");
      Class<?> nd4j = djl == null ? loaded("org.nd4j.linalg.factory.Nd4j") : null;
      String engine = djl != null ? "djl" : nd4j != null ? "nd4j" : null;
      if (engine == null) {
        return;
      }
      String key = key(engine);
      Properties cache = readCache();
      String cached = cache.getProperty(key);
      if (cached != null) {
        peakGflops = Double.parseDouble(cached);
        return;
      }
      double best = djl != null ? measureDjl(djl) : measureNd4j(nd4j);
      if (best > 0) {
        peakGflops = best;
        cache.setProperty(key, String.format(Locale.ROOT, "%.3f", best));
        writeCache(cache);
      }
    } catch (Throwable t) {
      System.err.println("mltrace: GEMM calibration failed (" + t + "); utilization is not reported");
    }
  }

  /** The best GFLOP/s of {@link #REPEATS} timed 512×512×512 products after one warm-up. */
  private static double best(ThrowingRunnable product) throws Exception {
    product.run();
    long bestNs = Long.MAX_VALUE;
    for (int i = 0; i < REPEATS; i++) {
      long t0 = System.nanoTime();
      product.run();
      bestNs = Math.min(bestNs, System.nanoTime() - t0);
    }
    return 2.0 * N * N * N / bestNs;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static double measureDjl(Class<?> managerType) throws Exception {
    ClassLoader loader = managerType.getClassLoader();
    Class<?> shapeType = Class.forName("ai.djl.ndarray.types.Shape", true, loader);
    Class<?> arrayType = Class.forName("ai.djl.ndarray.NDArray", true, loader);
    Object manager = managerType.getMethod("newBaseManager").invoke(null);
    try {
      Object shape = shapeType.getConstructor(long[].class).newInstance((Object) new long[] {N, N});
      Method ones = managerType.getMethod("ones", shapeType);
      Object a = ones.invoke(manager, shape);
      Object b = ones.invoke(manager, shape);
      Method matMul = arrayType.getMethod("matMul", arrayType);
      Method close = arrayType.getMethod("close");
      return best(() -> close.invoke(matMul.invoke(a, b)));
    } finally {
      ((AutoCloseable) manager).close();
    }
  }

  private static double measureNd4j(Class<?> nd4j) throws Exception {
    ClassLoader loader = nd4j.getClassLoader();
    Class<?> arrayType = Class.forName("org.nd4j.linalg.api.ndarray.INDArray", true, loader);
    Method ones = nd4j.getMethod("ones", long[].class);
    Object a = ones.invoke(null, (Object) new long[] {N, N});
    Object b = ones.invoke(null, (Object) new long[] {N, N});
    Method mmul = arrayType.getMethod("mmul", arrayType);
    Method close = arrayType.getMethod("close");
    try {
      return best(() -> close.invoke(mmul.invoke(a, b)));
    } finally {
      close.invoke(a);
      close.invoke(b);
    }
  }

  private Class<?> loaded(String name) {
    for (Class<?> c : inst.getAllLoadedClasses()) {
      if (c.getName().equals(name)) {
        return c;
      }
    }
    return null;
  }

  /** Engine, CPU model, cores and the thread settings the engines read. */
  static String key(String engine) {
    String cpu = "unknown-cpu";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: the key still separates engines and thread settings.
    }
    String threads = System.getProperty("ai.djl.pytorch.num_threads", "") + "/"
        + System.getenv().getOrDefault("OMP_NUM_THREADS", "");
    return (engine + "|" + cpu + "|cores=" + Runtime.getRuntime().availableProcessors() + "|threads=" + threads)
        .replaceAll("[^A-Za-z0-9|=/._@-]", "_");
  }

  private Properties readCache() {
    Properties p = new Properties();
    if (Files.isRegularFile(cacheFile)) {
      try (InputStream in = Files.newInputStream(cacheFile)) {
        p.load(in);
      } catch (IOException e) {
        // A damaged cache is measured again and rewritten.
      }
    }
    return p;
  }

  private void writeCache(Properties p) {
    try {
      Files.createDirectories(cacheFile.getParent());
      try (OutputStream out = Files.newOutputStream(cacheFile)) {
        p.store(out, "mltrace GEMM calibration: peak GFLOP/s per engine, CPU and thread setting");
      }
    } catch (IOException e) {
      // Not cached: measured again next time.
    }
  }
}
