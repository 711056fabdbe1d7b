package io.mltrace.agent;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.ClassFileLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Advice that fails: the recording bridge's {@code Recorder} is replaced (ahead of the agent's copy on the boot
 * class path) by one that throws whenever the span named {@code forward} is closed, as a bug in the recorder would.
 * A real DJL training job must not notice: same result, exit code 0; the failing hook, DJL's
 * {@code Trainer.forward}, turns itself off after {@link HookHealth#FAILURES_BEFORE_OFF} failures and says so on
 * one line, once; the job's other hooks go on recording.
 */
class FailingAdviceIT {
  static final int STEPS = 3 * HookHealth.FAILURES_BEFORE_OFF;

  @Test
  void aThrowingRecorderNeverReachesTheJobAndItsHookTurnsItselfOff(@TempDir Path dir) throws Exception {
    Path boot = dir.resolve("boot");
    Path recorder = boot.resolve("io/mltrace/bootstrap/Recorder.class");
    Files.createDirectories(recorder.getParent());
    Files.write(recorder, new ByteBuddy().redefine(Recorder.class)
        .visit(Advice.to(PlantedFault.class).on(named("exitSpan").and(takesArguments(3))))
        .make().getBytes());

    String steps = String.valueOf(STEPS);
    ChildJvm plain = ChildJvm.run(null, List.of(), DjlFoundationIT.MLP, "--steps", steps);
    assertEquals(0, plain.exitCode, plain::toString);
    Path out = dir.resolve("out");
    ChildJvm faulty = ChildJvm.run("output=" + out + ",report_interval=0,sample_every=1,console=off",
        List.of("-Xbootclasspath/a:" + boot), DjlFoundationIT.MLP, "--steps", steps);

    assertEquals(0, faulty.exitCode, faulty::toString);
    assertEquals(finalLoss(plain), finalLoss(faulty), "the job computes the same result");
    List<String> off = faulty.stderr.lines().filter(l -> l.contains("turned off")).toList();
    assertEquals(1, off.size(), faulty::toString);
    assertTrue(off.get(0).startsWith("mltrace: djl hook ai.djl.training.Trainer.forward turned off after "
        + HookHealth.FAILURES_BEFORE_OFF + " failures") && off.get(0).contains("planted recorder fault"), off.get(0));
    assertEquals(1, faulty.stderr.split("planted recorder fault", -1).length - 1,
        "no stack trace, no second report: " + faulty);

    DjlTrace trace = new DjlTrace(out);
    assertEquals(STEPS, trace.steps.size(), "the other hooks still record every step");
    long last = trace.steps.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertEquals(2, trace.ops(last, "linear").size(), "ops are still recorded after the hook turned off");
    List<String> names = trace.inStep(last).stream().map(e -> e.name).toList();
    assertTrue(names.contains("loss") && names.contains("trainBatch"), "its sibling phases still apply: " + names);
  }

  private static String finalLoss(ChildJvm run) {
    return run.stdout.lines().filter(l -> l.startsWith("final loss")).findFirst().orElse("none: " + run);
  }

  /** Inlined at the start of {@code Recorder.exitSpan(tr, kind, name)}: fails for one span name. */
  static final class PlantedFault {
    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(2) String name) {
      if ("forward".equals(name)) {
        throw new IllegalStateException("planted recorder fault");
      }
    }
  }
}
