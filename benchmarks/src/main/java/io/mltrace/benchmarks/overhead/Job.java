package io.mltrace.benchmarks.overhead;

import java.util.ArrayList;
import java.util.List;

/** A step-time job the harness runs: its class, the model it trains, and the framework whose peers apply to it. */
enum Job {
  DJL_MLP("djl", Framework.DJL, StepTimeJob.class, "mlp"),
  DJL_CNN("djl-cnn", Framework.DJL, StepTimeJob.class, "cnn"),
  DJL_LSTM("djl-lstm", Framework.DJL, StepTimeJob.class, "lstm"),
  DL4J_MLP("dl4j", Framework.DL4J, Dl4jStepTimeJob.class, "mlp"),
  DL4J_CNN("dl4j-cnn", Framework.DL4J, Dl4jStepTimeJob.class, "cnn");

  /** The frameworks some peer arms are tied to. */
  enum Framework { DJL, DL4J }

  final String cliName;
  final Framework framework;
  final Class<?> mainClass;
  final String model;

  Job(String cliName, Framework framework, Class<?> mainClass, String model) {
    this.cliName = cliName;
    this.framework = framework;
    this.mainClass = mainClass;
    this.model = model;
  }

  /** The job's own arguments: the model it trains. */
  List<String> args() {
    return List.of("--model", model);
  }

  static Job named(String name) {
    for (Job job : values()) {
      if (job.cliName.equals(name)) {
        return job;
      }
    }
    throw new IllegalArgumentException("unknown job '" + name + "' (djl, djl-cnn, djl-lstm, dl4j, dl4j-cnn, all)");
  }

  /** {@code --jobs}: names separated by commas, or {@code all}. */
  static List<Job> parseList(String names) {
    if (names.equals("all")) {
      return List.of(values());
    }
    List<Job> jobs = new ArrayList<>();
    for (String name : names.split(",")) {
      jobs.add(named(name.trim()));
    }
    return jobs;
  }
}
