package io.mltrace.agent.cli.attach;

import io.mltrace.agent.cli.ExitCodes;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * Checks a pid before anything is sent to it: it must be a live process, of this user, running a Java VM.
 *
 * <p>Why before: HotSpot's attach handshake signals the target with SIGQUIT, which terminates a process that is
 * not a JVM; and the target only accepts an attach from its own user, so say that plainly instead of relaying a
 * socket error.
 */
final class TargetCheck {
  private TargetCheck() {}

  static long parsePid(String text) throws CliFailure {
    try {
      long pid = Long.parseLong(text.trim());
      if (pid <= 0) {
        throw new NumberFormatException();
      }
      return pid;
    } catch (NumberFormatException e) {
      throw new CliFailure(ExitCodes.USAGE, "'" + text + "' is not a process id");
    }
  }

  /** Throws with the right exit code unless {@code pid} is a live JVM of this user, other than this one. */
  static void check(long pid) throws CliFailure {
    if (pid == ProcessHandle.current().pid()) {
      throw new CliFailure(ExitCodes.USAGE, "pid " + pid + " is this mltrace command itself");
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      throw new CliFailure(ExitCodes.NO_JVM, "no process with pid " + pid + " (it may have exited)");
    }
    String owner = handle.get().info().user().orElse(null);
    String me = System.getProperty("user.name");
    if (owner != null && me != null && !owner.equals(me)) {
      throw new CliFailure(ExitCodes.NOT_PERMITTED, "process " + pid + " belongs to user '" + owner
          + "'; mltrace attaches only to JVMs of its own user ('" + me + "'): run it as '" + owner
          + "' (for example: sudo -u " + owner + " ./mltrace ...)");
    }
    Boolean jvm = runsJvm(pid);
    if (jvm == null) {
      jvm = listedJvm(pid);
    }
    if (!jvm) {
      String command = handle.get().info().command().orElse("unknown command");
      throw new CliFailure(ExitCodes.NO_JVM, "process " + pid + " (" + command + ") is not a Java VM");
    }
  }

  /** Whether the Attach API lists the pid (its hsperfdata file): the check where {@code /proc} cannot be read. */
  static boolean listedJvm(long pid) {
    String id = String.valueOf(pid);
    return VirtualMachine.list().stream().anyMatch(d -> d.id().equals(id));
  }

  /** True or false from {@code /proc/<pid>/maps} (is libjvm mapped?); null where that cannot be read. */
  static Boolean runsJvm(long pid) {
    Path maps = Paths.get("/proc", String.valueOf(pid), "maps");
    if (!Files.isReadable(maps)) {
      return null;
    }
    try {
      String text = new String(Files.readAllBytes(maps), StandardCharsets.UTF_8);
      return text.contains("/libjvm.so");
    } catch (IOException e) {
      return null;
    }
  }
}
