package io.mltrace.agent.cli.attach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.cli.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code attach --app ID --hosts ...} through a stand-in for ssh: a script called as ssh is ({@code SHELL HOST
 * 'COMMAND'}) that logs what it was asked, fails like ssh for an unreachable host, answers "no JVM" for a host
 * without executors, and runs the command through a real shell for the others. The real attach behind it is
 * {@code AttachApplicationIT}'s.
 */
class RemoteAttachTest {
  @TempDir
  Path dir;

  private Path fakeSsh() throws Exception {
    Path script = dir.resolve("fake-ssh");
    Files.writeString(script, String.join("\n",
        "#!/bin/sh",
        "while [ \"${1#-}\" != \"$1\" ]; do case $1 in -o) shift 2 ;; *) shift ;; esac; done # ssh's flags",
        "host=$1; shift",
        "printf '%s %s\\n' \"$host\" \"$*\" >> " + dir.resolve("asked"),
        "case $host in",
        "  down) echo \"ssh: connect to host down port 22: Connection refused\" >&2; exit 255 ;;",
        "  empty) echo \"mltrace: no JVM of this user here carries --app-id\" >&2; exit 3 ;;",
        "  slow) sleep 30 ;;",
        "  *) exec sh -c \"$*\" ;;",
        "esac", ""));
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(List<String> hosts, List<String> options, String remote) throws Exception {
    RemoteAttach attach = new RemoteAttach("/opt/mltrace agent.jar", Map.of("MLTRACE_SSH", fakeSsh() + " -o X=1",
        "MLTRACE_REMOTE", remote), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), 3);
    return attach.run("app-1", hosts, options);
  }

  @Test
  void everyHostRunsTheAttachWithItsOptionsQuotedAndSaysHowItWent() throws Exception {
    // The remote "mltrace" echoes its arguments one per line: what the far shell handed it, word by word.
    int code = run(List.of("w1", "w2"), List.of("output=/tmp/o u t", "note=it's"), "printf '%s\\n'");
    assertEquals(ExitCodes.OK, code, out + "\n" + err);
    String printed = out.toString(StandardCharsets.UTF_8);
    for (String host : List.of("w1", "w2")) {
      assertTrue(printed.contains(host + ": attach\n" + host + ": --app\n" + host + ": app-1\n" + host
          + ": output=/tmp/o u t\n" + host + ": note=it's\n"), printed);
    }
    assertTrue(printed.contains("application app-1 on 2 host(s): attached on 2, no executor of it on 0, failed on 0"),
        printed);
    String asked = Files.readString(dir.resolve("asked"));
    assertTrue(asked.startsWith("w1 ") || asked.startsWith("w2 "), asked);
    assertTrue(asked.contains("-o X=1") == false, "the shell's own flags are not the command's: " + asked);
  }

  @Test
  void anUnreachableHostFailsTheCommandAndAHostWithoutExecutorsDoesNot() throws Exception {
    int code = run(List.of("w1", "down", "empty"), List.of(), "true");
    assertEquals(ExitCodes.FAILED, code, out + "\n" + err);
    String errors = err.toString(StandardCharsets.UTF_8);
    assertTrue(errors.contains("down: ssh: connect to host down port 22: Connection refused"), errors);
    assertTrue(errors.contains("mltrace: down: could not be reached ("), errors);
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(
        "attached on 1, no executor of it on 1, failed on 1 (down)"), out.toString(StandardCharsets.UTF_8));

    out.reset();
    assertEquals(ExitCodes.OK, run(List.of("w1", "empty"), List.of(), "true"), "a host without executors is fine");
    out.reset();
    assertEquals(ExitCodes.NO_JVM, run(List.of("empty"), List.of(), "true"), "but none anywhere is not");
  }

  @Test
  void aHostThatDoesNotAnswerIsLeftAfterTheBoundAndNamed() throws Exception {
    long t0 = System.nanoTime();
    int code = run(List.of("w1", "slow"), List.of(), "true");
    long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
    assertEquals(ExitCodes.FAILED, code, out + "\n" + err);
    assertTrue(seconds < 20, "left after its 3 s bound, not its 30 s sleep: " + seconds + " s");
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("mltrace: slow: no answer within 3 s"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theRemoteCommandDefaultsToThisJarAtTheSamePath() {
    RemoteAttach attach = new RemoteAttach("/opt/mltrace agent.jar", Map.of(), System.out, System.err);
    assertEquals("java -jar '/opt/mltrace agent.jar' attach --app 'app-1' 'mode=full'",
        attach.remoteCommand("app-1", List.of("mode=full")));
  }

  @Test
  void hostListsAreCheckedBeforeAnythingRuns() throws Exception {
    assertEquals(List.of("w1", "w2", "10.0.0.3", "user@w4"), RemoteAttach.hosts(" w1,w2,,w1, 10.0.0.3,user@w4"));
    assertThrows(CliFailure.class, () -> RemoteAttach.hosts(","));
    assertThrows(CliFailure.class, () -> RemoteAttach.hosts("w1;rm -rf /"));
  }
}
