package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attaching to what is not an attachable JVM of this user: a clear line and a distinct non-zero exit code. */
class AttachErrorsIT {
  static final Path JAVA_HOME = Paths.get(System.getProperty("java.home"));

  @Test
  void aPidThatIsGoneExitsWith3() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor(10, TimeUnit.SECONDS);
    Cli cli = Cli.run(JAVA_HOME, "attach", String.valueOf(p.pid()));
    assertEquals(3, cli.exitCode, cli::toString);
    assertTrue(cli.stderr.contains("no process with pid " + p.pid()), cli::toString);
  }

  @Test
  void aProcessThatIsNotAJvmExitsWith3AndIsLeftAlone() throws Exception {
    Process sleep = new ProcessBuilder("sleep", "60").start();
    try {
      Cli cli = Cli.run(JAVA_HOME, "attach", String.valueOf(sleep.pid()));
      assertEquals(3, cli.exitCode, cli::toString);
      assertTrue(cli.stderr.contains("is not a Java VM"), cli::toString);
      Cli trace = Cli.run(JAVA_HOME, "trace", String.valueOf(sleep.pid()), "--steps", "5");
      assertEquals(3, trace.exitCode, trace::toString);
      assertTrue(sleep.isAlive(), "no attach signal (SIGQUIT) was sent to it");
    } finally {
      sleep.destroyForcibly();
    }
  }

  /**
   * Another user's JVM: as root, a JVM started as {@code nobody}; otherwise pid 1, which belongs to root (the owner
   * check comes first, so the line is the same).
   */
  @Test
  void anotherUsersJvmExitsWith4(@TempDir Path dir) throws Exception {
    Process other = null;
    long pid = 1;
    try {
      if ("root".equals(System.getProperty("user.name"))) {
        Path source = dir.resolve("Sleeper.java");
        Files.writeString(source, "public class Sleeper { public static void main(String[] a) throws Exception {"
            + " Thread.sleep(60_000); } }");
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        source.toFile().setReadable(true, false);
        other = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            JAVA_HOME.resolve("bin/java").toString(), source.toString()).start();
        pid = other.pid();
        Thread.sleep(500);
        assertTrue(other.isAlive(), "the other user's JVM runs");
      }
      Cli cli = Cli.run(JAVA_HOME, "attach", String.valueOf(pid));
      assertEquals(4, cli.exitCode, cli::toString);
      assertTrue(cli.stderr.contains("belongs to user") && cli.stderr.contains("its own user"), cli::toString);
      if (other != null) {
        assertTrue(other.isAlive(), "left alone");
      }
    } finally {
      if (other != null) {
        other.destroyForcibly();
      }
    }
  }

  @Test
  void statusOnAJvmWithoutMltraceExitsWith6AndStopToo(@TempDir Path dir) throws Exception {
    Path source = dir.resolve("Sleeper.java");
    Files.writeString(source, "public class Sleeper { public static void main(String[] a) throws Exception {"
        + " Thread.sleep(60_000); } }");
    Process jvm = new ProcessBuilder(JAVA_HOME.resolve("bin/java").toString(), source.toString()).start();
    try {
      Cli status = null;
      for (int i = 0; i < 40; i++) { // the JVM needs a moment before it accepts an attach
        status = Cli.run(JAVA_HOME, "status", String.valueOf(jvm.pid()));
        if (status.exitCode != 5) {
          break;
        }
        Thread.sleep(250);
      }
      assertEquals(6, status.exitCode, status::toString);
      assertTrue(status.stderr.contains("mltrace is not loaded"), status::toString);
      Cli stop = Cli.run(JAVA_HOME, "stop", String.valueOf(jvm.pid()));
      assertEquals(6, stop.exitCode, stop::toString);
    } finally {
      jvm.destroyForcibly();
    }
  }

  @Test
  void aJvmThatRefusesDynamicAgentsExitsWith5(@TempDir Path dir) throws Exception {
    Path source = dir.resolve("Sleeper.java");
    Files.writeString(source, "public class Sleeper { public static void main(String[] a) throws Exception {"
        + " Thread.sleep(60_000); } }");
    Path home = AttachIT.JDK25;
    boolean jdk25 = Files.isExecutable(home.resolve("bin/java"));
    // On JDK 17 the refusal to test is -XX:+DisableAttachMechanism; on JDK 21+ -XX:-EnableDynamicAgentLoading.
    String flag = jdk25 ? "-XX:-EnableDynamicAgentLoading" : "-XX:+DisableAttachMechanism";
    Path java = (jdk25 ? home : JAVA_HOME).resolve("bin/java");
    Process jvm = new ProcessBuilder(java.toString(), flag, source.toString()).start();
    try {
      Thread.sleep(1500);
      Cli cli = Cli.run(jdk25 ? home : JAVA_HOME, "attach", String.valueOf(jvm.pid()));
      assertEquals(5, cli.exitCode, cli::toString);
      assertTrue(cli.stderr.contains(jdk25 ? "refused to load the agent" : "refused the attach"), cli::toString);
      assertTrue(jvm.isAlive(), "the target runs on");
    } finally {
      jvm.destroyForcibly();
    }
  }
}
