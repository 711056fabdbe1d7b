package io.mltrace.agent.cli.analysis;

import java.util.List;

/** Renders a {@link RunDiff} as console text, {@code diff.json} and a self-contained {@code diff.html}. */
final class DiffReport {
  /** One colour per breakdown category, as in the HTML report. */
  private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
      "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  private final RunDiff diff;

  DiffReport(RunDiff diff) {
    this.diff = diff;
  }

  String text() {
    StringBuilder out = new StringBuilder();
    out.append("mltrace diff\n");
    run(out, "A", diff.a);
    run(out, "B", diff.b);
    for (String note : diff.notes) {
      out.append("  note: ").append(note).append('\n');
    }
    out.append("\nper-step medians by category (A -> B):\n");
    for (RunDiff.Change c : diff.changes) {
      if (c.quantity().section().equals("step") && c.quantity().name().equals("wall")
          || c.quantity().section().equals("category")) {
        line(out, c);
      }
    }
    List<RunDiff.Change> significant = diff.significant();
    RunDiff.Thresholds t = diff.thresholds;
    out.append('\n');
    if (significant.isEmpty()) {
      out.append("no significant change");
    } else {
      out.append(significant.size()).append(" significant change").append(significant.size() == 1 ? "" : "s");
    }
    out.append(Format.f(" among %d quantities (Mann-Whitney p < %s, beyond each run's drift between its halves, and"
        + " at least %.0f%% of A's value and, for times, %.0f%% of A's median step)%s\n", diff.changes.size(),
        java.math.BigDecimal.valueOf(t.alpha()).stripTrailingZeros().toPlainString(),
        t.minRelative() * 100, t.minShareOfStep() * 100, significant.isEmpty() ? "" : ":"));
    for (RunDiff.Change c : significant) {
      line(out, c);
    }
    return out.toString();
  }

  private static void run(StringBuilder out, String which, RunProfile run) {
    out.append(Format.f("  %s: %s  (%s, %d steps analysed of %d%s)%n", which, run.source, run.framework,
        run.steps, run.stepsInFile, run.hasTrace ? ", with trace.json" : ""));
  }

  private static void line(StringBuilder out, RunDiff.Change c) {
    String unit = c.quantity().unit();
    out.append(Format.f("  %-38s %14s -> %-14s %14s %9s  %-9s %s%s%n", clip(c.quantity().label(), 38),
        Format.value(c.a(), unit), Format.value(c.b(), unit), Format.delta(c.delta(), unit),
        Format.percent(c.relative()), Format.p(c.p()), c.significant() ? "SIGNIFICANT" : "",
        c.presence().equals("both") ? "" : " (" + c.presence() + ")"));
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "~";
  }

  String json() {
    StringBuilder out = new StringBuilder("{\n");
    out.append("  \"a\": ").append(runJson(diff.a)).append(",\n");
    out.append("  \"b\": ").append(runJson(diff.b)).append(",\n");
    RunDiff.Thresholds t = diff.thresholds;
    out.append("  \"thresholds\": {\"alpha\": ").append(Format.json(t.alpha())).append(", \"min_relative\": ")
        .append(Format.json(t.minRelative())).append(", \"min_share_of_step\": ")
        .append(Format.json(t.minShareOfStep())).append("},\n");
    out.append("  \"notes\": [");
    for (int i = 0; i < diff.notes.size(); i++) {
      out.append(i == 0 ? "" : ", ").append(Format.jsonString(diff.notes.get(i)));
    }
    out.append("],\n  \"significant\": ").append(diff.significant().size()).append(",\n  \"changes\": [");
    for (int i = 0; i < diff.changes.size(); i++) {
      RunDiff.Change c = diff.changes.get(i);
      Quantity q = c.quantity();
      out.append(i == 0 ? "\n    {" : ",\n    {")
          .append("\"section\": ").append(Format.jsonString(q.section()))
          .append(", \"name\": ").append(Format.jsonString(q.name()))
          .append(", \"measure\": ").append(Format.jsonString(q.measure()))
          .append(", \"unit\": ").append(Format.jsonString(q.unit()))
          .append(", \"a\": ").append(Format.json(c.a()))
          .append(", \"b\": ").append(Format.json(c.b()))
          .append(", \"delta\": ").append(Format.json(c.delta()))
          .append(", \"relative\": ").append(Format.json(c.relative()))
          .append(", \"mad_a\": ").append(Format.json(c.madA()))
          .append(", \"mad_b\": ").append(Format.json(c.madB()))
          .append(", \"drift\": ").append(Format.json(c.drift()))
          .append(", \"p\": ").append(Format.json(c.p()))
          .append(", \"per_step\": ").append(q.perStep())
          .append(", \"significant\": ").append(c.significant())
          .append(", \"presence\": ").append(Format.jsonString(c.presence())).append('}');
    }
    return out.append(diff.changes.isEmpty() ? "]\n}\n" : "\n  ]\n}\n").toString();
  }

  private static String runJson(RunProfile run) {
    return "{\"source\": " + Format.jsonString(run.source.toString()) + ", \"framework\": "
        + Format.jsonString(run.framework) + ", \"steps_in_file\": " + run.stepsInFile + ", \"warmup\": "
        + run.warmup + ", \"steps\": " + run.steps + ", \"trace\": " + run.hasTrace + "}";
  }

  String html() {
    StringBuilder out = new StringBuilder();
    out.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mltrace diff</title><style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}")
        .append("td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,")
        .append("th:first-child{text-align:left}.bar{display:flex;height:28px;margin:4px 0}.bar div{height:100%}")
        .append(".sig{font-weight:bold;color:#b00}.legend span{display:inline-block;margin-right:1em}")
        .append(".sw{display:inline-block;width:12px;height:12px;margin-right:4px}</style></head><body>");
    out.append("<h1>mltrace diff</h1><p>A: ").append(Format.html(diff.a.source.toString())).append(" (")
        .append(diff.a.framework).append(", ").append(diff.a.steps).append(" steps)<br>B: ")
        .append(Format.html(diff.b.source.toString())).append(" (").append(diff.b.framework).append(", ")
        .append(diff.b.steps).append(" steps)</p><ul>");
    for (String note : diff.notes) {
      out.append("<li>").append(Format.html(note)).append("</li>");
    }
    out.append("</ul><h2>Mean step, by category</h2>");
    bars(out);
    List<RunDiff.Change> significant = diff.significant();
    out.append("<h2>Top changes</h2>");
    if (significant.isEmpty()) {
      out.append("<p>No significant change among ").append(diff.changes.size()).append(" quantities.</p>");
    } else {
      table(out, significant.subList(0, Math.min(25, significant.size())));
    }
    out.append("<details><summary>All ").append(diff.changes.size()).append(" quantities</summary>");
    table(out, diff.changes);
    return out.append("</details></body></html>\n").toString();
  }

  private void bars(StringBuilder out) {
    double widest = Math.max(mean(diff.a, "step", "wall"), mean(diff.b, "step", "wall"));
    StringBuilder legend = new StringBuilder("<p class=\"legend\">");
    int colour = 0;
    StringBuilder[] rows = {new StringBuilder(), new StringBuilder()};
    RunProfile[] runs = {diff.a, diff.b};
    for (String category : categories()) {
      String c = COLOURS[colour++ % COLOURS.length];
      legend.append("<span><span class=\"sw\" style=\"background:").append(c).append("\"></span>")
          .append(Format.html(category)).append("</span>");
      for (int r = 0; r < 2; r++) {
        double ns = mean(runs[r], "category", category);
        if (ns > 0 && widest > 0) {
          rows[r].append(Format.f("<div style=\"width:%.3f%%;background:%s\" title=\"%s: %s\"></div>",
              ns / widest * 100, c, Format.html(category), Format.value(ns, "ns")));
        }
      }
    }
    for (int r = 0; r < 2; r++) {
      out.append("<div>").append(r == 0 ? "A" : "B").append(": ")
          .append(Format.value(mean(runs[r], "step", "wall"), "ns")).append(" per step</div><div class=\"bar\">")
          .append(rows[r]).append("</div>");
    }
    out.append(legend).append("</p>");
  }

  private java.util.Set<String> categories() {
    java.util.Set<String> all = new java.util.LinkedHashSet<>(diff.a.categories());
    all.addAll(diff.b.categories());
    return all;
  }

  private static double mean(RunProfile run, String section, String name) {
    Quantity q = run.quantity(section, name, "time");
    return q == null ? 0 : Stats.mean(q.values());
  }

  private static void table(StringBuilder out, List<RunDiff.Change> changes) {
    out.append("<table><tr><th>quantity</th><th>A (median/step)</th><th>B</th><th>change</th><th></th>")
        .append("<th>test</th></tr>");
    for (RunDiff.Change c : changes) {
      String unit = c.quantity().unit();
      out.append("<tr").append(c.significant() ? " class=\"sig\"" : "").append("><td>")
          .append(Format.html(c.quantity().label()))
          .append(c.presence().equals("both") ? "" : " (" + c.presence() + ")").append("</td><td>")
          .append(Format.value(c.a(), unit)).append("</td><td>").append(Format.value(c.b(), unit))
          .append("</td><td>").append(Format.delta(c.delta(), unit)).append("</td><td>")
          .append(Format.percent(c.relative())).append("</td><td>").append(Format.p(c.p())).append("</td></tr>");
    }
    out.append("</table>");
  }
}
