package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Generated bad input, thousands of cases, through every way an option reaches the agent (the agent argument,
 * {@code -Dmltrace.*}, {@code MLTRACE_*}) and through the command line's arguments: nothing throws, and each bad
 * option or value gives exactly one line that names the option, quotes the value and says what is accepted.
 * Seeded, so a failure names a case that replays.
 */
class OptionFuzzTest {
  private static final long SEED = 19;
  /** Keys whose value is a whole number ({@code zeroOk}: 0 allowed). */
  private static final Map<String, Boolean> WHOLE = Map.ofEntries(Map.entry("report_interval", true),
      Map.entry("sample_every", false), Map.entry("trace_max_events", false), Map.entry("summary_max_steps", true),
      Map.entry("ring_capacity", false), Map.entry("sample_period_ms", true), Map.entry("wait_threshold_ms", true),
      Map.entry("djl_profile_every", true), Map.entry("tail_window", false), Map.entry("attach_batch", false),
      Map.entry("op_timing_every", false), Map.entry("timed_step_every", true), Map.entry("otlp_queue_spans", true),
      Map.entry("jvm_events_min_free_mb", true));
  private static final Map<String, List<String>> CHOICES = Map.of("console", List.of("steps", "summary", "off"),
      "mode", List.of("off", "default", "full"), "jvm_events", List.of("on", "off"), "gpu", List.of("auto", "off"),
      "html_report", List.of("true", "false"), "trace_gzip", List.of("true", "false"),
      "startup_log", List.of("true", "false"), "otlp_protocol", List.of("grpc", "http/protobuf"));
  /** Text that no option accepts in a number, a choice or a duration. */
  private static final String JUNK = "abcxyzQ!@$%^&*()[]{}|\\\"'`~<>? \t\n\r\u0000\u00e9\u4e2d\u2028\ud83d\ude00"
      + "=,;:#-+./";

  private final Random random = new Random(SEED);

  @Test
  void generatedBadValuesGiveOneLineEachThroughEveryChannel() {
    int cases = 0;
    for (int round = 0; round < 14; round++) {
      for (String key : AgentOptions.KEYS) {
        String bad = badValue(key);
        if (bad == null) {
          continue; // output, jfr...: almost any text names a path; covered by the no-throw cases below
        }
        for (int channel = 0; channel < 3; channel++) {
          AgentOptions o = parseThrough(channel, key, bad);
          String where = "channel " + channel + ", " + key + "='" + bad + "'";
          // The agent argument splits on ',': a value holding one is cut there, and the rest is a second entry.
          if (channel == 0 && bad.contains(",")) {
            assertNoThrowAndOneLineEach(o, where);
          } else {
            assertEquals(1, o.problems().size(), where + ": " + o.problems());
            assertNamesOptionValueAndAccepted(o.problems().get(0), key, bad.trim(), where);
            assertEquals(AgentOptions.parse(null, Map.of(), Map.of()).get(key), o.get(key),
                where + ": the default is used instead");
          }
          useEveryAccessor(o, where);
          cases++;
        }
      }
    }
    assertTrue(cases >= 1000, "cases " + cases);
  }

  @Test
  void unknownKeysNameKeyValueAndTheValidOptions() {
    for (int i = 0; i < 300; i++) {
      String key = "k" + junk(1 + random.nextInt(12)).replaceAll("[=,\\s]", "_");
      String value = junk(random.nextInt(20)).replace(",", "");
      AgentOptions o = AgentOptions.parse(key + "=" + value, Map.of(), Map.of());
      assertEquals(1, o.problems().size(), key);
      String line = o.problems().get(0);
      assertOneLine(line, key);
      assertTrue(line.contains("unknown option '" + AgentOptions.shown(key.trim()) + "'"), line);
      assertTrue(line.contains("(value '" + AgentOptions.shown(value.trim()) + "')"), line);
      assertTrue(line.contains("valid options: " + String.join(", ", AgentOptions.KEYS)), line);
    }
  }

  @Test
  void randomAgentStringsNeverThrowAndEveryProblemIsOneLine() {
    List<String> keys = new ArrayList<>(AgentOptions.KEYS);
    for (int i = 0; i < 1500; i++) {
      StringBuilder args = new StringBuilder();
      int pairs = random.nextInt(6);
      for (int p = 0; p < pairs; p++) {
        String key = random.nextInt(4) == 0 ? junk(random.nextInt(8)) : keys.get(random.nextInt(keys.size()));
        args.append(p == 0 ? "" : random.nextBoolean() ? "," : ",,").append(key);
        if (random.nextInt(5) > 0) {
          args.append('=').append(random.nextBoolean() ? junk(random.nextInt(30)) : mutated(key));
        }
      }
      String text = args.toString();
      AgentOptions o = AgentOptions.parse(text, Map.of("mltrace." + keys.get(random.nextInt(keys.size())),
          junk(random.nextInt(10))), Map.of("MLTRACE_" + keys.get(random.nextInt(keys.size())).toUpperCase(
          Locale.ROOT), junk(random.nextInt(10))));
      assertNoThrowAndOneLineEach(o, text);
      useEveryAccessor(o, text);
      // The control keys of a command-line call are split off first; the split never throws either.
      ControlArgs c = ControlArgs.split(text);
      assertTrue(c.command() != null && c.options != null);
    }
  }

  @Test
  void aLongValueIsCutAndAControlCharacterEscapedInItsLine() {
    String huge = "9".repeat(10_000) + "x";
    AgentOptions o = AgentOptions.parse("sample_every=" + huge, Map.of(), Map.of());
    assertTrue(o.problems().get(0).length() < 300, o.problems().get(0));
    assertTrue(o.problems().get(0).contains("(10001 characters)"), o.problems().get(0));
    o = AgentOptions.parse(null, Map.of(), Map.of("MLTRACE_CONSOLE", "loud\nmltrace: fake line"));
    assertEquals(List.of("mltrace: option console='loud\\u000amltrace: fake line' must be one of steps, summary, off;"
        + " using steps"), o.problems());
  }

  @Test
  void aPathTheFileSystemRefusesIsABadValueNotACrash() {
    for (String key : List.of("output", "jfr", "cupti_path")) {
      AgentOptions o = AgentOptions.parse(key + "=a\u0000b", Map.of(), Map.of());
      assertEquals(1, o.problems().size(), key);
      assertTrue(o.problems().get(0).contains("must name a"), o.problems().get(0));
      useEveryAccessor(o, key);
    }
  }

  /** Every command with generated arguments: never throws, exits with a documented code, says why on stderr. */
  @Test
  void generatedCommandLinesNeverThrowAndExplainEachRefusal() {
    // No "list" (it would connect to this user's JVMs) and no pid that could exist (above Linux's pid_max).
    List<String> commands = List.of("attach", "trace", "status", "stop", "diff", "check", "analyze", "version",
        "help", "--help", "frobnicate", "", "ATTACH", "-x");
    Set<Integer> documented = Set.of(0, 1, 2, 3, 4, 5, 6, 7);
    for (int i = 0; i < 1200; i++) {
      List<String> args = new ArrayList<>();
      String command = commands.get(random.nextInt(commands.size()));
      args.add(command);
      int n = random.nextInt(6);
      for (int a = 0; a < n; a++) {
        String arg = cliArgument();
        // The analysis commands read and write files: every path they get is one that cannot exist.
        boolean analysis = command.equals("diff") || command.equals("check") || command.equals("analyze");
        args.add(analysis && !arg.startsWith("--") && !arg.contains("<=") ? "/nonexistent/" + arg : arg);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code;
      try {
        code = CommandLine.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
      } catch (RuntimeException | Error e) {
        throw new AssertionError("threw on " + args, e);
      }
      String errText = err.toString(StandardCharsets.UTF_8);
      assertTrue(documented.contains(code), args + " -> " + code);
      if (code != 0) {
        assertTrue(errText.startsWith("mltrace"), args + " -> " + code + " with stderr: " + errText);
      }
      if (command.equals("attach") && code == 2) {
        // A bad option of attach is refused here, before any process is touched, on one line that quotes it.
        for (String line : errText.split("\n")) {
          if (line.startsWith("mltrace: option ") || line.startsWith("mltrace: unknown option ")) {
            assertTrue(line.contains("must") || line.contains("valid options"), line);
          }
        }
      }
    }
  }

  @Test
  void attachRefusesABadOptionBeforeTouchingTheProcess() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = CommandLine.run(new String[] {"attach", "4194305", "mode=loud", "colour=blue"},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, code, "a usage error, not 'no such process' (3): the options were checked first");
    String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2, lines.length, String.join("\n", lines));
    assertTrue(lines[0].contains("mode='loud' must be one of off, default, full"), lines[0]);
    assertTrue(lines[1].contains("unknown option 'colour' (value 'blue')"), lines[1]);
  }

  private AgentOptions parseThrough(int channel, String key, String value) {
    switch (channel) {
      case 0:
        return AgentOptions.parse(key + "=" + value, Map.of(), Map.of());
      case 1:
        return AgentOptions.parse(null, Map.of("mltrace." + key, value), Map.of());
      default:
        return AgentOptions.parse("", Map.of(), Map.of("MLTRACE_" + key.toUpperCase(Locale.ROOT), value));
    }
  }

  /**
   * A value the key never accepts, or null for keys that take free text. Never blank: a blank property or variable
   * means "not set".
   */
  private String badValue(String key) {
    if (WHOLE.containsKey(key)) {
      switch (random.nextInt(7)) {
        case 0: return "-" + (1 + random.nextInt(1000));
        case 1: return String.valueOf((long) Integer.MAX_VALUE + 1 + random.nextInt(1_000_000));
        case 2: return random.nextInt(100) + "." + (1 + random.nextInt(9));
        case 3: return WHOLE.get(key) ? "x" + random.nextInt(10) : "0";
        case 4: return "9".repeat(20 + random.nextInt(100));
        case 5: return random.nextInt(100) + letters(1 + random.nextInt(4));
        default: return letters(1 + random.nextInt(10)) + junk(random.nextInt(6));
      }
    }
    if (CHOICES.containsKey(key)) {
      List<String> ok = CHOICES.get(key);
      String v;
      do {
        v = random.nextBoolean() ? mutated(ok.get(random.nextInt(ok.size()))) : letters(1 + random.nextInt(8));
      } while (ok.contains(v.trim()) || v.isBlank());
      return v;
    }
    switch (key) {
      case "sample_interval":
        return random.nextInt(3) == 0 ? "-" + (1 + random.nextInt(100)) + "s"
            : random.nextInt(100) + (random.nextBoolean() ? "x" : "sec") + junk(random.nextInt(3));
      case "tail_percentile":
        return random.nextBoolean() ? String.valueOf(100 + random.nextInt(1000)) : "p" + random.nextInt(100);
      case "overhead_budget":
        return random.nextBoolean() ? "-" + (1 + random.nextInt(50)) : random.nextInt(10) + "%";
      case "peak_gflops":
        return random.nextBoolean() ? "-" + (1 + random.nextInt(50)) : random.nextBoolean() ? "NaN" : "fast";
      case "prometheus":
        return random.nextBoolean() ? "host:" + (65536 + random.nextInt(100000))
            : random.nextBoolean() ? letters(3) + ":" + letters(4) : "-1";
      case "spans":
        return random.nextBoolean() ? letters(5) + "#" + letters(3) : "a.B#m:" + letters(6);
      default:
        return null;
    }
  }

  private String cliArgument() {
    switch (random.nextInt(9)) {
      case 0: return String.valueOf(4_194_305 + random.nextInt(1_000_000)); // above pid_max: no such process
      case 1: return "-" + random.nextInt(10);
      case 2: return List.of("--steps", "--duration", "--out", "--timeout", "--baseline", "--bounds", "--warmup",
          "--doc").get(random.nextInt(8));
      case 3: return AgentOptions.KEYS.get(random.nextInt(AgentOptions.KEYS.size())) + "=" + junk(random.nextInt(8));
      case 4: return "/nonexistent/" + letters(5);
      case 5: return "step_p95 <= " + junk(3);
      case 6: return letters(1 + random.nextInt(6)) + "=" + letters(random.nextInt(5));
      default: return junk(random.nextInt(12));
    }
  }

  private static void assertNoThrowAndOneLineEach(AgentOptions o, String where) {
    for (String line : o.problems()) {
      assertOneLine(line, where);
      assertTrue(line.contains("must") || line.contains("valid options"), where + ": " + line);
    }
  }

  private static void assertNamesOptionValueAndAccepted(String line, String key, String value, String where) {
    assertOneLine(line, where);
    assertTrue(line.startsWith("mltrace: option " + key + "='" + AgentOptions.shown(value) + "' must "),
        where + ": " + line);
  }

  private static void assertOneLine(String line, String where) {
    assertTrue(line.startsWith("mltrace: "), where + ": " + line);
    for (char c : line.toCharArray()) {
      if (c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == 0) {
        fail(where + ": a problem spans lines: " + line);
      }
    }
  }

  /** Every accessor the runtime calls: a value that passed validation must be usable. */
  private static void useEveryAccessor(AgentOptions o, String where) {
    try {
      o.output();
      o.console();
      o.reportIntervalSeconds();
      o.sampleEvery();
      o.traceMaxEvents();
      o.summaryMaxSteps();
      o.startupLog();
      o.jvmEvents();
      o.jfrFile();
      o.samplePeriodMillis();
      o.waitThresholdMillis();
      o.ringCapacity();
      io.mltrace.agent.control.Mode.of(o.mode());
      o.sampleIntervalNanos();
      o.tailPercentile();
      o.tailWindow();
      o.overheadBudgetPercent();
      o.attachBatch();
      o.customSpans();
      o.opTimingEvery();
      o.asProperties();
      o.djlProfileEvery();
      o.otlpEndpoint();
      o.otlpProtocol();
      o.otlpQueueSpans();
      o.prometheusHost();
      o.prometheusPort();
      o.peakGflops();
      o.htmlReport();
      o.traceGzip();
      o.gpu();
      o.cuptiPath();
      AgentRuntime.policy(o);
    } catch (RuntimeException e) {
      throw new AssertionError(where + ": an accepted value broke an accessor", e);
    }
  }

  private String mutated(String word) {
    StringBuilder b = new StringBuilder(word);
    int edits = 1 + random.nextInt(3);
    for (int i = 0; i < edits; i++) {
      int at = b.length() == 0 ? 0 : random.nextInt(b.length() + 1);
      switch (random.nextInt(3)) {
        case 0: b.insert(at, JUNK.charAt(random.nextInt(JUNK.length()))); break;
        case 1: if (at < b.length()) { b.deleteCharAt(at); } break;
        default: b.insert(at, Character.toUpperCase(word.isEmpty() ? 'x' : word.charAt(0)));
      }
    }
    return b.toString();
  }

  private String letters(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append((char) ('a' + random.nextInt(26)));
    }
    return b.toString();
  }

  private String junk(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(JUNK.charAt(random.nextInt(JUNK.length())));
    }
    return b.toString();
  }
}
