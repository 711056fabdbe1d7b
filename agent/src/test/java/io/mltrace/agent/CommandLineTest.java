package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.cli.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Usage errors are caught before anything is sent to a process, with exit code 2 and one line. */
class CommandLineTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return CommandLine.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsEveryCommandAndTheExitCodes() {
    assertEquals(0, run("help"));
    String text = out.toString(StandardCharsets.UTF_8);
    for (String c : CommandLine.ATTACH_COMMANDS) {
      assertTrue(text.contains("  " + c), c + " in " + text);
    }
    assertTrue(text.contains("exit codes: 0 ok") && text.contains("EnableDynamicAgentLoading"), text);
  }

  @Test
  void helpExplainsEveryExitCodeDefinedInExitCodes() throws Exception {
    assertEquals(ExitCodes.OK, run("help"));
    String text = out.toString(StandardCharsets.UTF_8);
    String codes = text.substring(text.indexOf("exit codes:"), text.indexOf("JDK 21+"));
    int defined = 0;
    for (java.lang.reflect.Field f : ExitCodes.class.getFields()) {
      int code = f.getInt(null);
      assertTrue(codes.matches("(?s).*[ :]" + code + " [a-z].*"), f.getName() + " = " + code + " in " + codes);
      defined++;
    }
    assertEquals(8, defined, "0 to 7");
  }

  @Test
  void aTraceWithoutStepsOrDurationIsAUsageError() {
    assertEquals(2, run("trace", "12345"));
    assertTrue(err().contains("give either --steps N or --duration D"), err());
  }

  @Test
  void aTraceWithBothIsAUsageError() {
    assertEquals(2, run("trace", "12345", "--steps", "5", "--duration", "10s"));
  }

  @Test
  void badNumbersAndPidsAreUsageErrors() {
    assertEquals(2, run("trace", "12345", "--steps", "zero"));
    assertEquals(2, run("trace", "12345", "--duration", "soon"));
    assertEquals(2, run("attach", "not-a-pid"));
    assertEquals(2, run("attach"));
    assertEquals(2, run("status", "1", "2"));
    assertEquals(2, run("attach", "12345", "mode"));
    assertTrue(err().contains("must be key=value"), err());
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertEquals(2, run("frobnicate"));
    assertTrue(err().contains("unknown command 'frobnicate'"), err());
  }

  @Test
  void attachOnlyAddsTheDefaultsNotGiven() {
    assertEquals("mode=full,console=off", io.mltrace.agent.cli.attach.Commands.withDefaultsForTest("mode=full"));
    assertEquals("console=steps", io.mltrace.agent.cli.attach.Commands.withDefaultsForTest("console=steps"));
    assertEquals("sample_interval=5s,console=off",
        io.mltrace.agent.cli.attach.Commands.withDefaultsForTest("sample_interval=5s"));
  }
}
