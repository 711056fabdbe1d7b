package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code attach --app <id>}: one command attaches to every JVM that carries {@code --app-id <id>} on its command line,
 * as Spark starts each executor of an application, and to no other. Three real DL4J training JVMs stand in for the
 * executors: two of the application, one of another (the Spark cluster itself is {@code SparkClusterIT}'s). The
 * first attach goes through {@code --hosts}, as on a cluster of machines, with a stand-in for ssh.
 */
class AttachApplicationIT {
  private static long stepsIn(Cli status) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^steps: (\\d+)$").matcher(status.stdout);
    assertTrue(m.find(), status::toString);
    return Long.parseLong(m.group(1));
  }

  @Test
  void oneCommandAttachesToEveryExecutorOfTheApplicationAndNoOther(@TempDir Path dir) throws Exception {
    Path home = Paths.get(System.getProperty("java.home"));
    String app = "app-" + System.nanoTime();
    AttachIT.Job job = AttachIT.JOBS.get(1);
    List<TrainingProcess> jvms = new ArrayList<>();
    try {
      for (String id : List.of(app, app, app + "-other")) {
        List<String> args = new ArrayList<>(job.args());
        args.addAll(List.of("--executor-id", String.valueOf(jvms.size()), "--app-id", id));
        jvms.add(TrainingProcess.start(home, job.jvmFlags(), job.mainClass(), args));
      }
      for (TrainingProcess p : jvms) {
        p.awaitFrame(job.trainingFrame(), 120);
      }
      // Through --hosts, as on a cluster of machines: a stand-in for ssh runs the command here for host "here"
      // (this machine's executors) and fails as ssh does for host "down"; the executors are attached all the same.
      Path ssh = dir.resolve("fake-ssh");
      Files.writeString(ssh, String.join("\n", "#!/bin/sh",
          "while [ \"${1#-}\" != \"$1\" ]; do case $1 in -o) shift 2 ;; *) shift ;; esac; done",
          "host=$1; shift",
          "[ \"$host\" = here ] || { echo \"ssh: connect to host $host port 22: Connection refused\" >&2; exit 255; }",
          "exec sh -c \"$*\"", ""));
      Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
      Cli attach = Cli.run(Map.of("MLTRACE_SSH", ssh.toString(), "MLTRACE_REMOTE", home.resolve("bin").resolve("java")
          + " -jar " + ChildJvm.AGENT_JAR.toAbsolutePath()), home, "attach", "--app", app, "--hosts", "here,down",
          "output=" + dir.resolve("out"), "report_interval=0");
      assertEquals(1, attach.exitCode, "host down failed the command: " + attach);
      assertTrue(attach.stdout.contains("here: mltrace: application " + app + ": 2 executor JVM(s) found, all "
          + "attached"), attach::toString);
      assertTrue(attach.stdout.contains("on 2 host(s): attached on 1, no executor of it on 0, failed on 1 (down)"),
          attach::toString);
      assertTrue(attach.stderr.contains("mltrace: down: could not be reached"), attach::toString);
      for (int i = 0; i < 2; i++) {
        String pid = String.valueOf(jvms.get(i).pid());
        assertTrue(attach.stdout.contains("attached to " + pid), attach::toString);
        Cli status = Cli.run(home, "status", pid);
        assertEquals(0, status.exitCode, status::toString);
        assertTrue(status.stdout.contains("mode: default"), status::toString);
        // The step count moves on between two readings (it once stayed at the count of the attach).
        long before = stepsIn(status);
        long deadline = System.nanoTime() + 60_000_000_000L;
        long after = before;
        while (after <= before + 50 && System.nanoTime() < deadline) {
          Thread.sleep(500);
          after = stepsIn(Cli.run(home, "status", pid));
        }
        assertTrue(after > before + 50, "status steps " + before + " then " + after);
      }
      Cli other = Cli.run(home, "status", String.valueOf(jvms.get(2).pid()));
      assertEquals(6, other.exitCode, "another application's JVM is left alone: " + other);

      // Without --hosts, on this machine: both are attached already, so each is reconfigured.
      Cli again = Cli.run(home, "attach", "--app", app, "report_interval=0");
      assertEquals(0, again.exitCode, again::toString);
      assertTrue(again.stdout.contains("application " + app + ": 2 executor JVM(s) found, all attached"),
          again::toString);
      assertEquals(2, again.stdout.lines().filter(l -> l.contains("already loaded in")).count(), again::toString);

      Cli none = Cli.run(home, "attach", "--app", app + "-missing");
      assertEquals(3, none.exitCode, none::toString);
      assertTrue(none.stderr.contains("no JVM of this user here carries --app-id " + app + "-missing"),
          none::toString);
      Cli usage = Cli.run(home, "attach", "--app");
      assertEquals(2, usage.exitCode, usage::toString);
    } finally {
      for (TrainingProcess p : jvms) {
        p.close();
      }
    }
  }
}
