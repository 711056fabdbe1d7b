package io.mltrace.agent;

import io.mltrace.examples.groundtruth.DjlGroundTruth;

/**
 * A child JVM's main for {@link ExitWaitIT}: trains with {@link DjlGroundTruth} (its arguments after the first),
 * prints {@code training done at <epoch ms>}, then ends the way the first argument says: {@code return} (main
 * returns), {@code exit-from-thread} (training and {@code System.exit(0)} run on another thread while main waits) or
 * {@code sigterm} (the process sends itself SIGTERM, as a scheduler stopping a job does, and waits).
 */
public final class ExitAfterTraining {
  private ExitAfterTraining() {}

  public static void main(String[] args) throws Exception {
    String[] training = java.util.Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "return":
        DjlGroundTruth.main(training);
        System.out.println("training done at " + System.currentTimeMillis());
        return;
      case "exit-from-thread":
        Thread worker = new Thread(() -> {
          try {
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
        return;
      case "sigterm":
        DjlGroundTruth.main(training);
        System.out.println("training done at " + System.currentTimeMillis());
        System.out.flush();
        new ProcessBuilder("kill", "-TERM", String.valueOf(ProcessHandle.current().pid())).inheritIO().start();
        Thread.sleep(Long.MAX_VALUE);
        return;
      default:
        throw new IllegalArgumentException("ending: return, exit-from-thread or sigterm, not " + args[0]);
    }
  }
}
