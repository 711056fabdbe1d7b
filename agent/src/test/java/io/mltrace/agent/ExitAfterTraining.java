package io.mltrace.agent;

import io.mltrace.examples.groundtruth.DjlGroundTruth;

/**
 * A child JVM's main for {@link ExitWaitIT}: trains with {@link DjlGroundTruth} (its arguments after the first),
 * prints {@code training done at <epoch ms>}, then ends the way the first argument says: {@code return} (main
 * returns) or {@code exit-from-thread} (training and {@code System.exit(0)} run on another thread while main waits).
 */
public final class ExitAfterTraining {
  /** How long the {@code exit-from-thread} ending waits before training: JFR's stream flushes once a second. */
  static final long STREAM_FIRST_FLUSH_MS = 1200;

  private ExitAfterTraining() {}

  public static void main(String[] args) throws Exception {
    String[] training = java.util.Arrays.copyOfRange(args, 1, args.length);
    if (args[0].equals("return")) {
      DjlGroundTruth.main(training);
      System.out.println("training done at " + System.currentTimeMillis());
      return;
    }
    Thread worker = new Thread(() -> {
      try {
        // The JDK's JFR stream loses what it has not yet flushed (the first time a second after it started) when
        // System.exit comes first: a job that exits this way is given that second (see ExitWaitIT).
        Thread.sleep(STREAM_FIRST_FLUSH_MS);
        DjlGroundTruth.main(training);
        System.out.println("training done at " + System.currentTimeMillis());
        System.exit(0);
      } catch (Throwable t) {
        t.printStackTrace();
        System.exit(1);
      }
    }, "training");
    worker.start();
    Thread.sleep(Long.MAX_VALUE);
  }
}
