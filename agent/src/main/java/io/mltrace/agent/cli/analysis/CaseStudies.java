package io.mltrace.agent.cli.analysis;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The case-study runs of a folder and what is fitted to them. Each run is a sub-folder with the agent's output
 * and a {@code case.properties} naming the {@code model} ({@code lstm}, {@code transformer}, {@code alexnet},
 * {@code sweep}, {@code lenet}) and its parameters ({@code ./mltrace case-studies} writes them).
 */
final class CaseStudies {
  /** One run: its folder name, parameters and profile. */
  record Run(String name, Properties params, RunProfile profile) {
    String model() {
      return params.getProperty("model", "?");
    }

    double p(String key) {
      return Double.parseDouble(params.getProperty(key, "NaN"));
    }

    double flops() {
      return profile.median("step", "flops", "flops");
    }

    double stepNs() {
      return profile.median("step", "wall", "time");
    }

    /** The step time's median absolute deviation: how much this run's steps varied. */
    double stepMadNs() {
      Quantity wall = profile.quantity("step", "wall", "time");
      return wall == null ? Double.NaN : Stats.mad(wall.values());
    }
  }

  /** FLOPs and time per step against the LSTM layer count, fitted to {@code a + slope·layers}. */
  record LstmFit(double hidden, double timeSteps, double batch, double[] layers, double[] flops, double[] stepNs,
      double slope, double intercept, double expectedSlope, double timeSlope, double timeIntercept) {
    double ratio() {
      return slope / expectedSlope;
    }
  }

  /** Measured FLOPs per sequence length against the formula, and the fit {@code c1·L + c2·L²}. */
  record TransformerFit(double layers, double dim, double heads, double batch, double ffn, double[] seq,
      double[] flops, double[] formula, double[] talk, double[] stepNs, double linear, double quadratic,
      double expectedLinear, double expectedQuadratic) {}

  /**
   * One point of the inference sweep: images per second at a batch size (median over its calls), and what the job
   * measured itself over the same calls (its {@code stdout.txt}: {@code batch B images/s X}; NaN without it).
   */
  record Throughput(int batch, double medianNs, double imagesPerSecond, int calls, double jobImagesPerSecond) {}

  final List<Run> runs = new ArrayList<>();

  static CaseStudies load(Path dir, int warmup) throws IOException {
    CaseStudies cs = new CaseStudies();
    List<Path> folders;
    try (Stream<Path> list = Files.list(dir)) {
      folders = list.filter(p -> Files.isRegularFile(p.resolve("case.properties"))).sorted().toList();
    }
    if (folders.isEmpty()) {
      throw new IOException("no case-study runs (folders with case.properties) in " + dir);
    }
    for (Path f : folders) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(f.resolve("case.properties"))) {
        p.load(r);
      }
      cs.runs.add(new Run(f.getFileName().toString(), p, RunProfile.load(f, warmup)));
    }
    return cs;
  }

  List<Run> of(String model) {
    return runs.stream().filter(r -> r.model().equals(model)).toList();
  }

  /** The LSTM runs that differ only in their layer count (the largest such group); null without two. */
  LstmFit lstm() {
    Map<String, List<Run>> groups = new HashMap<>();
    for (Run r : of("lstm")) {
      String key = r.p("hidden") + "/" + r.p("time_steps") + "/" + r.p("batch") + "/" + r.p("vocab");
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    List<Run> group = groups.values().stream().max(Comparator.comparingInt(List::size)).orElse(List.of());
    if (group.size() < 2) {
      return null;
    }
    group = new ArrayList<>(group);
    group.sort(Comparator.comparingDouble(r -> r.p("layers")));
    int n = group.size();
    double[] layers = new double[n];
    double[] flops = new double[n];
    double[] step = new double[n];
    for (int i = 0; i < n; i++) {
      layers[i] = group.get(i).p("layers");
      flops[i] = group.get(i).flops();
      step[i] = group.get(i).stepNs();
    }
    double[] ones = ones(n);
    double[] f = Stats.leastSquares(new double[][] {ones, layers}, flops);
    double[] t = Stats.leastSquares(new double[][] {ones, layers}, step);
    Run first = group.get(0);
    double h = first.p("hidden");
    return new LstmFit(h, first.p("time_steps"), first.p("batch"), layers, flops, step, f[1], f[0],
        AnalyticFlops.lstmLayer(h, h, first.p("batch"), first.p("time_steps")), t[1], t[0]);
  }

  /** The Transformer runs, by sequence length (those sharing the first run's other parameters); null if none. */
  TransformerFit transformer() {
    List<Run> all = of("transformer");
    if (all.isEmpty()) {
      return null;
    }
    Run first = all.get(0);
    List<Run> group = new ArrayList<>();
    for (Run r : all) {
      if (r.p("layers") == first.p("layers") && r.p("model_dim") == first.p("model_dim")
          && r.p("heads") == first.p("heads") && r.p("batch") == first.p("batch") && r.p("ffn") == first.p("ffn")) {
        group.add(r);
      }
    }
    group.sort(Comparator.comparingDouble(r -> r.p("seq_len")));
    int n = group.size();
    double layers = first.p("layers");
    double d = first.p("model_dim");
    double b = first.p("batch");
    double ffn = first.p("ffn");
    double[] seq = new double[n];
    double[] flops = new double[n];
    double[] formula = new double[n];
    double[] talk = new double[n];
    double[] step = new double[n];
    double[] seq2 = new double[n];
    for (int i = 0; i < n; i++) {
      seq[i] = group.get(i).p("seq_len");
      seq2[i] = seq[i] * seq[i];
      flops[i] = group.get(i).flops();
      formula[i] = layers * AnalyticFlops.transformerLayer(b, seq[i], d, ffn);
      talk[i] = AnalyticFlops.talkTransformer(seq[i], d, first.p("heads"));
      step[i] = group.get(i).stepNs();
    }
    double[] fit = n >= 2 ? Stats.leastSquares(new double[][] {seq, seq2}, flops) : null;
    return new TransformerFit(layers, d, first.p("heads"), b, ffn, seq, flops, formula, talk, step,
        fit == null ? Double.NaN : fit[0], fit == null ? Double.NaN : fit[1], layers * b * (8 * d * d + 4 * d * ffn),
        layers * 4 * b * d);
  }

  /** Images/s per batch size from the sweep run's trace: each inference call's batch from its first layer's input. */
  List<Throughput> inference() throws IOException {
    List<Throughput> out = new ArrayList<>();
    for (Run r : of("sweep")) {
      Path trace = r.profile().source.getParent().resolve("trace.json");
      if (!Files.isRegularFile(trace)) {
        continue;
      }
      Map<Integer, List<Double>> byBatch = InferenceCalls.durationsByBatch(JsonReader.object(JsonReader.parse(trace)));
      int warmup = (int) (Double.isNaN(r.p("warmup")) ? 0 : r.p("warmup"));
      Map<Integer, Double> job = jobThroughput(trace.resolveSibling("stdout.txt"));
      for (Map.Entry<Integer, List<Double>> e : new TreeMap<>(byBatch).entrySet()) {
        List<Double> calls = e.getValue().subList(Math.min(warmup, e.getValue().size() - 1), e.getValue().size());
        double median = Stats.median(calls.stream().mapToDouble(Double::doubleValue).toArray());
        out.add(new Throughput(e.getKey(), median, e.getKey() / (median / 1e9), calls.size(),
            job.getOrDefault(e.getKey(), Double.NaN)));
      }
    }
    return out;
  }

  /**
   * The AlexNet-style runs' measured forward FLOPs per step over the analytic count (GEMMs only: convolutions and
   * linear layers), by run name.
   */
  Map<String, double[]> alexNetFlops() {
    Map<String, double[]> out = new TreeMap<>();
    for (Run r : of("alexnet")) {
      double expected = AnalyticFlops.alexNet((int) r.p("image_size"), r.p("width"), (int) r.p("batch"),
          (int) r.p("classes"));
      out.put(r.name(), new double[] {r.flops(), expected});
    }
    return out;
  }

  private static Map<Integer, Double> jobThroughput(Path stdout) throws IOException {
    Map<Integer, Double> out = new HashMap<>();
    if (Files.isRegularFile(stdout)) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("batch (\\d+) images/s ([0-9.]+)")
          .matcher(Files.readString(stdout));
      while (m.find()) {
        out.put(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)));
      }
    }
    return out;
  }

  private static double[] ones(int n) {
    double[] v = new double[n];
    java.util.Arrays.fill(v, 1);
    return v;
  }
}
