package io.mltrace.agent.cli.analysis;

/**
 * One measured quantity of a run with its value in each analysed step: a category's ns, an op's count, a phase's
 * time. {@code perStep} is false when the file holds only a run total (then {@code values} has one element, the
 * total divided by the steps), which can be compared but not tested against step-to-step noise.
 *
 * @param section {@code step}, {@code category}, {@code phase}, {@code op}, {@code kernel} or {@code memory}
 * @param name what is measured within the section (a category, an op's {@code kind/name}...)
 * @param measure {@code time}, {@code count}, {@code flops}, {@code gflops}, {@code bytes}
 * @param unit {@code ns}, {@code 1}, {@code flop}, {@code GFLOP/s}, {@code B}, {@code MB}
 */
record Quantity(String section, String name, String measure, String unit, double[] values, boolean perStep) {
  String key() {
    return section + "|" + name + "|" + measure;
  }

  String label() {
    return section + " " + name + (measure.equals("time") || measure.equals(name) ? "" : " " + measure);
  }

  boolean isTime() {
    return unit.equals("ns");
  }
}
