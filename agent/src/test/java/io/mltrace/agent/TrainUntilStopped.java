package io.mltrace.agent;

import io.mltrace.examples.dl4j.Dl4jTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A child JVM's main for {@link PrometheusWorkersIT}: a worker that trains the DL4J MLP (20 steps at a time, a
 * fresh network each time) until the file named by its first argument exists, at most two minutes, so that a
 * scraper has time to find it. A second argument is the data iterator's sleep per batch in microseconds (a slowed
 * worker).
 */
public final class TrainUntilStopped {
  static final long MAX_NANOS = 120_000_000_000L;

  private TrainUntilStopped() {}

  public static void main(String[] args) throws Exception {
    Path stop = Paths.get(args[0]);
    long deadline = System.nanoTime() + MAX_NANOS;
    while (!Files.exists(stop) && System.nanoTime() < deadline) {
      Dl4jTraining.main(new String[] {"--model", "mlp", "--steps", "20", "--sleep-us",
          args.length > 1 ? args[1] : "0"});
    }
    System.out.println("stopped");
  }
}
