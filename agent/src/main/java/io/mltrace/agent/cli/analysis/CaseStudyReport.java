package io.mltrace.agent.cli.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The case-study results as console text, {@code analysis.json}, and PNG figures. */
final class CaseStudyReport {
  final CaseStudies cs;
  final CaseStudies.LstmFit lstm;
  final CaseStudies.TransformerFit transformer;
  final List<CaseStudies.Throughput> inference;
  final Map<String, double[]> alexNet;

  CaseStudyReport(CaseStudies cs) throws IOException {
    this.cs = cs;
    this.lstm = cs.lstm();
    this.transformer = cs.transformer();
    this.inference = cs.inference();
    this.alexNet = cs.alexNetFlops();
  }

  /** The training runs, one per model: the first run of each model (the sweeps' smallest). */
  List<CaseStudies.Run> representatives() {
    Map<String, CaseStudies.Run> byModel = new LinkedHashMap<>();
    for (CaseStudies.Run r : cs.runs) {
      if (!r.model().equals("sweep")) {
        byModel.putIfAbsent(r.model(), r);
      }
    }
    return new ArrayList<>(byModel.values());
  }

  /** Per-step median of a category, ns. */
  static double category(CaseStudies.Run r, String category) {
    return r.profile().median("category", category, "time");
  }

  String summary() {
    StringBuilder out = new StringBuilder("mltrace analyze: " + cs.runs.size() + " runs\n");
    for (CaseStudies.Run r : cs.runs) {
      if (r.model().equals("sweep")) {
        out.append(Format.f("  %-28s %-11s (inference: images/s below)%n", r.name(), r.model()));
        continue;
      }
      double step = r.stepNs();
      double gemm = category(r, "gemm");
      out.append(Format.f("  %-28s %-11s step %12s  FLOPs %14s  not GEMM %5.1f%%%n", r.name(), r.model(),
          Format.value(step, "ns"), Format.value(r.flops(), "flop"), 100 * (1 - gemm / step)));
    }
    if (lstm != null) {
      out.append(Format.f("LSTM: per-layer FLOPs slope %.6g, expected 16*h^2*batch*steps = %.6g, ratio %.6f;"
          + " time per layer %s, time at 0 layers %s%n", lstm.slope(), lstm.expectedSlope(), lstm.ratio(),
          Format.value(lstm.timeSlope(), "ns"), Format.value(lstm.timeIntercept(), "ns")));
    }
    if (transformer != null) {
      for (int i = 0; i < transformer.seq().length; i++) {
        out.append(Format.f("Transformer L=%.0f: FLOPs %.6g, formula %.6g, ratio %.6f%n", transformer.seq()[i],
            transformer.flops()[i], transformer.formula()[i], transformer.flops()[i] / transformer.formula()[i]));
      }
      out.append(Format.f("Transformer fit: linear %.6g (expected %.6g), quadratic %.6g (expected %.6g)%n",
          transformer.linear(), transformer.expectedLinear(), transformer.quadratic(),
          transformer.expectedQuadratic()));
    }
    for (CaseStudies.Throughput t : inference) {
      out.append(Format.f("inference batch %d: %.1f images/s (median call %s over %d calls)%n", t.batch(),
          t.imagesPerSecond(), Format.value(t.medianNs(), "ns"), t.calls()));
    }
    for (Map.Entry<String, double[]> e : alexNet.entrySet()) {
      out.append(Format.f("AlexNet %s: FLOPs %.0f, analytic %.0f, ratio %.6f%n", e.getKey(), e.getValue()[0],
          e.getValue()[1], e.getValue()[0] / e.getValue()[1]));
    }
    return out.toString();
  }

  String json() {
    StringBuilder out = new StringBuilder("{\n  \"runs\": [");
    for (int i = 0; i < cs.runs.size(); i++) {
      CaseStudies.Run r = cs.runs.get(i);
      out.append(i == 0 ? "\n    {" : ",\n    {").append("\"name\": ").append(Format.jsonString(r.name()))
          .append(", \"model\": ").append(Format.jsonString(r.model())).append(", \"params\": {");
      List<String> keys = new ArrayList<>(r.params().stringPropertyNames());
      java.util.Collections.sort(keys);
      for (int k = 0; k < keys.size(); k++) {
        out.append(k == 0 ? "" : ", ").append(Format.jsonString(keys.get(k))).append(": ")
            .append(Format.jsonString(r.params().getProperty(keys.get(k))));
      }
      out.append("}, \"steps\": ").append(r.profile().steps).append(", \"step_ns\": ").append(Format.json(r.stepNs()))
          .append(", \"flops\": ").append(Format.json(r.flops())).append(", \"breakdown_ns\": {");
      int k = 0;
      for (String c : r.profile().categories()) {
        out.append(k++ == 0 ? "" : ", ").append(Format.jsonString(c)).append(": ").append(Format.json(category(r, c)));
      }
      out.append("}}");
    }
    out.append("\n  ]");
    if (lstm != null) {
      out.append(",\n  \"lstm\": {\"hidden\": ").append(Format.json(lstm.hidden())).append(", \"time_steps\": ")
          .append(Format.json(lstm.timeSteps())).append(", \"batch\": ").append(Format.json(lstm.batch()))
          .append(", \"layers\": ").append(array(lstm.layers())).append(", \"flops\": ").append(array(lstm.flops()))
          .append(", \"step_ns\": ").append(array(lstm.stepNs()))
          .append(", \"slope\": ").append(Format.json(lstm.slope()))
          .append(", \"intercept\": ").append(Format.json(lstm.intercept())).append(", \"expected_slope\": ")
          .append(Format.json(lstm.expectedSlope())).append(", \"ratio\": ").append(Format.json(lstm.ratio()))
          .append(", \"time_slope_ns\": ").append(Format.json(lstm.timeSlope())).append(", \"time_intercept_ns\": ")
          .append(Format.json(lstm.timeIntercept())).append('}');
    }
    if (transformer != null) {
      CaseStudies.TransformerFit t = transformer;
      out.append(",\n  \"transformer\": {\"layers\": ").append(Format.json(t.layers())).append(", \"model_dim\": ")
          .append(Format.json(t.dim())).append(", \"heads\": ").append(Format.json(t.heads())).append(", \"batch\": ")
          .append(Format.json(t.batch())).append(", \"ffn\": ").append(Format.json(t.ffn())).append(", \"seq_len\": ")
          .append(array(t.seq())).append(", \"flops\": ").append(array(t.flops())).append(", \"formula\": ")
          .append(array(t.formula())).append(", \"talk_formula\": ").append(array(t.talk())).append(", \"step_ns\": ")
          .append(array(t.stepNs())).append(", \"linear\": ").append(Format.json(t.linear()))
          .append(", \"quadratic\": ").append(Format.json(t.quadratic())).append(", \"expected_linear\": ")
          .append(Format.json(t.expectedLinear())).append(", \"expected_quadratic\": ")
          .append(Format.json(t.expectedQuadratic())).append('}');
    }
    out.append(",\n  \"inference\": [");
    for (int i = 0; i < inference.size(); i++) {
      CaseStudies.Throughput t = inference.get(i);
      out.append(i == 0 ? "" : ", ").append("{\"batch\": ").append(t.batch()).append(", \"median_ns\": ")
          .append(Format.json(t.medianNs())).append(", \"images_per_s\": ").append(Format.json(t.imagesPerSecond()))
          .append(", \"calls\": ").append(t.calls()).append(", \"job_images_per_s\": ")
          .append(Format.json(t.jobImagesPerSecond())).append('}');
    }
    out.append("],\n  \"alexnet\": [");
    int i = 0;
    for (Map.Entry<String, double[]> e : alexNet.entrySet()) {
      out.append(i++ == 0 ? "" : ", ").append("{\"run\": ").append(Format.jsonString(e.getKey()))
          .append(", \"flops\": ").append(Format.json(e.getValue()[0])).append(", \"analytic\": ")
          .append(Format.json(e.getValue()[1])).append('}');
    }
    return out.append("]\n}\n").toString();
  }

  private static String array(double[] values) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      out.append(i == 0 ? "" : ", ").append(Format.json(values[i]));
    }
    return out.append(']').toString();
  }

  /** Draws the figures; returns figure id to file path. */
  Map<String, String> figures(Path dir) throws IOException {
    Map<String, String> written = new LinkedHashMap<>();
    List<String> rows = new ArrayList<>();
    Map<String, double[]> values = new LinkedHashMap<>();
    List<String> categories = new ArrayList<>(cs.runs.get(0).profile().categories());
    for (CaseStudies.Run r : representatives()) {
      double[] v = new double[categories.size()];
      for (int c = 0; c < v.length; c++) {
        double ns = category(r, categories.get(c));
        v[c] = Double.isNaN(ns) ? 0 : ns;
      }
      rows.add(r.name());
      values.put(r.name(), v);
    }
    if (!rows.isEmpty()) {
      Path f = dir.resolve("breakdown.png");
      Plots.stackedShares(f, "Step time by category (per-step medians, share of the step)", rows, categories,
          values);
      written.put("breakdown", f.toString());
    }
    if (lstm != null) {
      Path f = dir.resolve("lstm-layers.png");
      double[] fitted = new double[lstm.layers().length];
      double[] expected = new double[lstm.layers().length];
      for (int i = 0; i < fitted.length; i++) {
        fitted[i] = lstm.intercept() + lstm.slope() * lstm.layers()[i];
        expected[i] = lstm.intercept() + lstm.expectedSlope() * lstm.layers()[i];
      }
      Plots.xy(f, Format.f("LSTM forward FLOPs per step against layers (h=%.0f, T=%.0f, batch %.0f)", lstm.hidden(),
          lstm.timeSteps(), lstm.batch()), "layers", "FLOPs per step", List.of(
              new Plots.Series("measured", lstm.layers(), lstm.flops(), false),
              new Plots.Series("fit: intercept + slope x layers", lstm.layers(), fitted, true),
              new Plots.Series("intercept + 16 h^2 batch T x layers", lstm.layers(), expected, true)), false);
      written.put("lstm", f.toString());
    }
    if (transformer != null) {
      Path f = dir.resolve("transformer-seq.png");
      double[] fit = new double[transformer.seq().length];
      for (int i = 0; i < fit.length; i++) {
        double l = transformer.seq()[i];
        fit[i] = transformer.linear() * l + transformer.quadratic() * l * l;
      }
      Plots.xy(f, "Transformer forward FLOPs per step against sequence length", "sequence length L",
          "FLOPs per step", List.of(new Plots.Series("measured", transformer.seq(), transformer.flops(), false),
              new Plots.Series("formula", transformer.seq(), transformer.formula(), true),
              new Plots.Series("fit c1 L + c2 L^2", transformer.seq(), fit, true)), false);
      written.put("transformer", f.toString());
    }
    if (!inference.isEmpty()) {
      Path f = dir.resolve("inference-batch.png");
      double[] x = inference.stream().mapToDouble(CaseStudies.Throughput::batch).toArray();
      double[] y = inference.stream().mapToDouble(CaseStudies.Throughput::imagesPerSecond).toArray();
      Plots.xy(f, "CNN inference: images/s against batch size", "batch size", "images/s",
          List.of(new Plots.Series("images/s", x, y, true), new Plots.Series("", x, y, false)), true);
      written.put("inference", f.toString());
    }
    return written;
  }
}
