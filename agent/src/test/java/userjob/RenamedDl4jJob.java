package userjob;

/**
 * A job's own main class that no earlier JVM loaded (as after an edit), in a package of its own: {@code
 * WeavingCacheIT} checks that the weaving cache answers it without building Byte Buddy. Trains the DL4J example.
 */
public final class RenamedDl4jJob {
  private RenamedDl4jJob() {}

  public static void main(String[] args) throws Exception {
    io.mltrace.examples.dl4j.Dl4jTraining.main(args);
  }
}
