package io.mltrace.jfr;

/**
 * A child JVM for {@link JfrExitRaceTest}: its {@code main} returns while the JFR stream is still starting, and the
 * stream's thread holds back its start until the JVM's own JFR shutdown hook has run (the race a job of a second or
 * less, such as a short inference job, lost in 2 of 10 runs). {@code probe}: as the agent runs. {@code forced}: the
 * shutdown probe answers "not begun", so the recording starts after JFR was destroyed and only the bounded
 * {@link JfrSource#close()} lets the JVM end.
 */
public final class ExitWhileJfrStarts {
  private static final java.util.concurrent.CountDownLatch CONFIGURED = new java.util.concurrent.CountDownLatch(1);
  private static final java.util.concurrent.CountDownLatch SEAM_PASSED = new java.util.concurrent.CountDownLatch(1);

  private ExitWhileJfrStarts() {
  }

  public static void main(String[] args) {
    boolean forced = args.length > 0 && args[0].equals("forced");
    JfrSource source = JfrSource.start(0, 1000, 1000, false, ExitWhileJfrStarts::awaitJfrShutdownHook,
        forced ? () -> false : JfrSource::shutdownBegun);
    // As the agent's collector does: its shutdown hook closes the source, after its other work (writing the outputs),
    // here the time the stream's thread takes to try its start.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        if (SEAM_PASSED.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
          Thread.sleep(200);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      source.close();
    }, "closes-the-source"));
    // JFR registers its own shutdown hook when it initializes (making the stream): main returns after that.
    try {
      CONFIGURED.await(20, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.out.println("main returns");
  }

  /** On the stream's thread: waits for the JVM's shutdown, then for JFR's own shutdown hook to end (bounded). */
  private static void awaitJfrShutdownHook() {
    CONFIGURED.countDown();
    try {
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!JfrSource.shutdownBegun() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.getName().equals("JFR Shutdown Hook")) {
          t.join(5_000);
        }
      }
      System.out.println("JFR's shutdown hook has run");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      SEAM_PASSED.countDown();
    }
  }
}
