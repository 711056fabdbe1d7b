package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code list} shows the JVMs of this user and, for each, whether mltrace is loaded, its version and mode. */
class ListIT {
  static final Path JAVA_HOME = Paths.get(System.getProperty("java.home"));

  @Test
  void listShowsWhichJvmsRunMltrace(@TempDir Path dir) throws Exception {
    Path source = dir.resolve("Sleeper.java");
    Files.writeString(source, "public class Sleeper { public static void main(String[] a) throws Exception {"
        + " Thread.sleep(60_000); } }");
    String java = JAVA_HOME.resolve("bin/java").toString();
    Process plain = new ProcessBuilder(java, source.toString()).start();
    Process traced = new ProcessBuilder(java, "-javaagent:" + ChildJvm.AGENT_JAR.toAbsolutePath()
        + "=mode=full,console=off,output=" + dir.resolve("out"), source.toString()).start();
    try {
      String version = Cli.run(JAVA_HOME, "version").stdout.trim().replaceFirst("^mltrace ", "");
      Cli list = null;
      for (int i = 0; i < 40; i++) { // until both JVMs have started and the agent has published its state
        list = Cli.run(JAVA_HOME, "list");
        if (row(list.stdout, traced.pid()).contains(version)
            && !row(list.stdout, plain.pid()).isEmpty()) {
          break;
        }
        Thread.sleep(250);
      }
      assertEquals(0, list.exitCode, list::toString);
      assertTrue(list.stdout.startsWith("PID"), list::toString);
      List<String> tracedRow = List.of(row(list.stdout, traced.pid()).trim().split("\\s+"));
      assertEquals(List.of(String.valueOf(traced.pid()), version, "full"), tracedRow.subList(0, 3),
          list::toString);
      List<String> plainRow = List.of(row(list.stdout, plain.pid()).trim().split("\\s+"));
      assertEquals(List.of(String.valueOf(plain.pid()), "-", "-"), plainRow.subList(0, 3), list::toString);
    } finally {
      plain.destroyForcibly();
      traced.destroyForcibly();
    }
  }

  private static String row(String listing, long pid) {
    return listing.lines().filter(l -> l.matches("^" + pid + "\\s.*")).findFirst().orElse("");
  }
}
