package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A DL4J example run in a child JVM with the agent, and its trace parsed into a tree of spans. */
final class Dl4jTrace {
  static final String MAIN = "io.mltrace.examples.dl4j.Dl4jTraining";
  static final ObjectMapper JSON = new ObjectMapper();

  /** One complete event of trace.json. */
  static final class Event {
    final JsonNode json;
    final List<Event> children = new ArrayList<>();
    Event parent;

    Event(JsonNode json) {
      this.json = json;
    }

    String cat() {
      return json.get("cat").asText();
    }

    String name() {
      return json.get("name").asText();
    }

    long tid() {
      return json.get("tid").asLong();
    }

    double startUs() {
      return json.get("ts").asDouble();
    }

    double durUs() {
      return json.get("dur").asDouble();
    }

    double endUs() {
      return startUs() + durUs();
    }

    long step() {
      return json.get("args").path("step").asLong(0);
    }

    long flops() {
      return json.get("args").path("flops").asLong(0);
    }

    JsonNode arg(String name) {
      return json.get("args").get(name);
    }

    /** Every event below this one. */
    List<Event> descendants() {
      List<Event> out = new ArrayList<>();
      for (Event c : children) {
        out.add(c);
        out.addAll(c.descendants());
      }
      return out;
    }

    List<Event> children(String name) {
      return children.stream().filter(c -> c.name().equals(name)).collect(Collectors.toList());
    }

    @Override
    public String toString() {
      return json.toString();
    }
  }

  final ChildJvm run;
  final JsonNode summary;
  final List<Event> events = new ArrayList<>();
  final List<Event> steps = new ArrayList<>();

  private Dl4jTrace(ChildJvm run, JsonNode summary, JsonNode trace) {
    this.run = run;
    this.summary = summary;
    Map<Long, Event> bySpan = new HashMap<>();
    for (JsonNode e : trace.get("traceEvents")) {
      if ("X".equals(e.path("ph").asText())) {
        Event ev = new Event(e);
        events.add(ev);
        bySpan.put(e.get("args").get("span_id").asLong(), ev);
        if (ev.cat().equals("step")) {
          steps.add(ev);
        }
      }
    }
    for (Event ev : events) {
      JsonNode parentId = ev.json.get("args").get("parent_id");
      if (parentId != null && parentId.asLong() != 0) {
        ev.parent = bySpan.get(parentId.asLong());
        if (ev.parent != null) {
          ev.parent.children.add(ev);
        }
      }
    }
    steps.sort((a, b) -> Long.compare(a.step(), b.step()));
  }

  /** JVM flags for a DL4J child: native libraries unpacked once, under the build folder. */
  static final List<String> JVM_FLAGS =
      List.of("-Dorg.bytedeco.javacpp.cachedir=" + ChildJvm.EXAMPLES.resolve("javacpp-cache"));

  /** Runs the example with the agent writing to {@code out}, every step detailed; asserts that it completed. */
  static Dl4jTrace run(Path out, String... args) throws Exception {
    return runWith(out, "sample_every=1", args);
  }

  /** As {@link #run}, with {@code options} (such as {@code sample_every=4}) added to the agent's. */
  static Dl4jTrace runWith(Path out, String options, String... args) throws Exception {
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,console=summary," + options, JVM_FLAGS,
        MAIN, args);
    assertEquals(0, run.exitCode, run::toString);
    return new Dl4jTrace(run, JSON.readTree(out.resolve("summary.json").toFile()),
        JSON.readTree(out.resolve("trace.json").toFile()));
  }

  List<Event> named(String name) {
    return events.stream().filter(e -> e.name().equals(name)).collect(Collectors.toList());
  }

  /**
   * The time of a step covered by the union of its direct children, in µs. What is left is framework code between
   * the recorded calls, and, on a loaded machine, the thread being descheduled there.
   */
  static double coveredUs(Event step) {
    List<double[]> spans = step.children.stream().map(c -> new double[] {c.startUs(), c.endUs()})
        .sorted((a, b) -> Double.compare(a[0], b[0])).collect(Collectors.toList());
    double covered = 0;
    double reach = step.startUs();
    for (double[] s : spans) {
      double from = Math.max(s[0], reach);
      double to = Math.min(s[1], step.endUs());
      if (to > from) {
        covered += to - from;
      }
      reach = Math.max(reach, s[1]);
    }
    return covered;
  }

  /**
   * Prints the children's coverage of the steps (over all steps, and the smallest and median of single steps) and
   * returns the figure over all steps: covered time / step time.
   */
  static double reportCoverage(String model, Dl4jTrace t) {
    List<Double> perStep = new ArrayList<>();
    double covered = 0;
    double wall = 0;
    for (Event step : t.steps) {
      double c = coveredUs(step);
      perStep.add(c / step.durUs());
      covered += c;
      wall += step.durUs();
    }
    perStep.sort(Double::compare);
    double all = covered / wall;
    System.out.printf(java.util.Locale.ROOT,
        "DL4J %s: step children cover %.4f of %d steps' time (single steps: min %.4f, median %.4f)%n", model, all,
        perStep.size(), perStep.get(0), perStep.get(perStep.size() / 2));
    return all;
  }

  /**
   * 2·M·N·K of a matrix product from its recorded shapes A, B and C = A·B (any transposes):
   * {@code K² = |A||B|/|C|}.
   */
  static long gemmFlopsFromShapes(JsonNode shapes) {
    long[] sizes = new long[3];
    long batch = 1;
    for (int i = 0; i < 3; i++) {
      JsonNode s = shapes.get(i);
      int r = s.size();
      sizes[i] = s.get(r - 1).asLong() * s.get(r - 2).asLong();
      if (i == 2) {
        for (int d = 0; d < r - 2; d++) {
          batch *= s.get(d).asLong();
        }
      }
    }
    long k = Math.round(Math.sqrt((double) sizes[0] * sizes[1] / sizes[2]));
    return 2 * batch * sizes[2] * k;
  }
}
