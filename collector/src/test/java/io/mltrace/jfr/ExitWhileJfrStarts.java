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

  /** JFR's own shutdown hook, registered when JFR initialized (the stream was made). */
  private static volatile Thread jfrHook;

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
    jfrHook = registeredHook("JFR Shutdown Hook");
    System.out.println("main returns");
  }

  /** The registered shutdown hook of that name (needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}), or null. */
  private static Thread registeredHook(String name) {
    try {
      java.lang.reflect.Field f = Class.forName("java.lang.ApplicationShutdownHooks").getDeclaredField("hooks");
      f.setAccessible(true);
      synchronized (Class.forName("java.lang.ApplicationShutdownHooks")) {
        for (Object t : ((java.util.Map<?, ?>) f.get(null)).keySet()) {
          if (((Thread) t).getName().equals(name)) {
            return (Thread) t;
          }
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      System.out.println("cannot read the shutdown hooks: " + e);
    }
    return null;
  }

  /** On the stream's thread: waits for the JVM's shutdown, then for JFR's own shutdown hook to end (bounded). */
  private static void awaitJfrShutdownHook() {
    CONFIGURED.countDown();
    try {
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!JfrSource.shutdownBegun() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      // The JVM starts its hooks one by one once shutdown has begun, and JFR's may end before a thread list would
      // show it: wait for the very thread JFR registered to have run.
      Thread hook = jfrHook;
      while (hook != null && hook.getState() != Thread.State.TERMINATED && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      System.out.println(hook != null && hook.getState() == Thread.State.TERMINATED ? "JFR's shutdown hook has run"
          : "JFR's shutdown hook not seen");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      SEAM_PASSED.countDown();
    }
  }
}
