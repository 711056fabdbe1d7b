package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weaving cache (issue 22): a second JVM of the same agent and hook options loads the framework classes as the
 * first one wove them, without Byte Buddy, and traces the same: the same ops in every step, the frameworks' memory
 * readings (which the hooks' first application installs) in every step. A cache folder open to other users is
 * refused with one line, and the job is traced as without it.
 */
class WeavingCacheIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern REPORT = Pattern.compile(
      "weaving cache \\S+: (\\d+) classes from it, (\\d+) through Byte Buddy, (\\d+) stored, (\\d+) unchanged by"
      + " their supertypes");

  @TempDir
  Path dir;

  private ChildJvm run(String label, Path cache, String mainClass, String... args) throws Exception {
    ChildJvm child = ChildJvm.run("output=" + dir.resolve(label) + ",console=off,startup_log=true,weave_cache_dir="
        + cache, List.of(), mainClass, args);
    assertEquals(0, child.exitCode, child::toString);
    return child;
  }

  /** {from the cache, through Byte Buddy, stored, unchanged by their supertypes}, from the start-up log. */
  private static long[] report(ChildJvm child) {
    Matcher m = REPORT.matcher(child.stderr);
    assertTrue(m.find(), child::toString);
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
        Long.parseLong(m.group(4))};
  }

  private List<Long> opsPerStep(String label) throws Exception {
    JsonNode steps = JSON.readTree(dir.resolve(label).resolve("summary.json").toFile()).get("steps");
    List<Long> ops = new ArrayList<>();
    for (JsonNode s : steps) {
      ops.add(s.get("ops").asLong());
    }
    return ops;
  }

  @Test
  void aSecondJvmLoadsTheWovenClassesFromTheCacheAndTracesTheSame() throws Exception {
    Path cache = dir.resolve("cache");
    String main = "io.mltrace.examples.dl4j.Dl4jTraining";
    ChildJvm first = run("first", cache, main, "--model", "mlp", "--steps", "6");
    long[] cold = report(first);
    assertEquals(0, cold[0], "an empty cache answers nothing: " + first.stderr);
    assertTrue(cold[1] > 20 && cold[2] == cold[1] + cold[3], "every class the weaving saw is stored: "
        + first.stderr);

    ChildJvm second = run("second", cache, main, "--model", "mlp", "--steps", "6");
    long[] warm = report(second);
    assertEquals(cold[2], warm[0], "the same classes, from the cache: " + second.stderr);
    assertEquals(0, warm[1], "Byte Buddy sees none: " + second.stderr);
    assertTrue(second.stderr.contains("hooks from the weaving cache"), second::toString);
    assertTrue(first.stderr.contains("bridge on the bootstrap path (copied to the cache)"), first::toString);
    assertTrue(second.stderr.contains("bridge on the bootstrap path (from the cache)"), second::toString);
    assertFalse(second.stderr.contains("hooks built"), "nothing is built: " + second.stderr);

    List<Long> ops = opsPerStep("first");
    assertEquals(6, ops.size());
    assertTrue(ops.get(5) > 0, "ops traced: " + ops);
    assertEquals(ops, opsPerStep("second"), "the woven classes from the cache trace the same ops");
    // ND4J's readings are installed when the DL4J hooks first apply: from the cache too.
    JsonNode last = JSON.readTree(dir.resolve("second").resolve("summary.json").toFile()).get("steps").get(5);
    assertTrue(last.get("memory").get("offheap_bytes").asLong() > 0, last::toString);

    // The job's own main class is new (an edit, another job): no hook can match it (its supertypes are the JDK's),
    // so it is answered and kept without building Byte Buddy, which before took 1.2 s on the thread loading it.
    ChildJvm renamed = ChildJvm.runWithClasspath("output=" + dir.resolve("renamed") + ",console=off,startup_log=true,"
        + "weave_cache_dir=" + cache, List.of(), ChildJvm.examplesClasspath() + java.io.File.pathSeparator
        + Path.of("target", "test-classes").toAbsolutePath(), "userjob.RenamedDl4jJob", "--model", "mlp", "--steps",
        "6");
    assertEquals(0, renamed.exitCode, renamed::toString);
    long[] edited = report(renamed);
    assertEquals(0, edited[1], "Byte Buddy sees none: " + renamed.stderr);
    assertTrue(edited[3] >= 1 && edited[2] == edited[3], "the new class kept: " + renamed.stderr);
    assertFalse(renamed.stderr.contains("building the hooks"), renamed::toString);
    assertEquals(ops, opsPerStep("renamed"), "traced as the job under its old name");

    // A job of another framework with the same options misses, is woven by Byte Buddy built then, and is kept.
    ChildJvm djl = run("djl", cache, "io.mltrace.examples.djl.MlpTraining", "--steps", "4");
    long[] mixed = report(djl);
    assertTrue(mixed[1] > 0 && mixed[2] == mixed[1] + mixed[3], "DJL's classes woven and stored: " + djl.stderr);
    assertTrue(djl.stderr.contains("a class the weaving cache does not know: building the hooks"), djl::toString);
    assertTrue(opsPerStep("djl").get(3) > 0, "DJL's ops traced");
  }

  /**
   * A DJL job with its own dataset and block, run again after its classes changed (their lines taken out of the
   * cache's index, as an edit leaves them unknown): they are answered from their class files' headers, Byte Buddy is
   * never built, and the job is traced as before.
   */
  @Test
  void aJobsEditedClassesOutsideEveryHookFamilyNeedNoByteBuddy() throws Exception {
    Path cache = dir.resolve("cache");
    String cp = ChildJvm.examplesClasspath() + java.io.File.pathSeparator + Path.of("target", "test-classes")
        .toAbsolutePath();
    ChildJvm first = ChildJvm.runWithClasspath("output=" + dir.resolve("own1") + ",console=off,startup_log=true,"
        + "weave_cache_dir=" + cache, List.of(), cp, "userjob.OwnDatasetJob", "--steps", "4");
    assertEquals(0, first.exitCode, first::toString);
    Path index;
    try (var plans = Files.list(cache)) {
      index = plans.filter(Files::isDirectory).map(p -> p.resolve("index")).filter(Files::exists).findFirst()
          .orElseThrow();
    }
    List<String> lines = Files.readAllLines(index);
    List<String> kept = new ArrayList<>();
    for (String line : lines) {
      if (!line.startsWith("userjob/")) {
        kept.add(line);
      }
    }
    assertTrue(lines.size() - kept.size() >= 4, "the job's main, dataset, its builder and block were kept: " + lines);
    Files.write(index, kept);

    ChildJvm edited = ChildJvm.runWithClasspath("output=" + dir.resolve("own2") + ",console=off,startup_log=true,"
        + "weave_cache_dir=" + cache, List.of(), cp, "userjob.OwnDatasetJob", "--steps", "4");
    assertEquals(0, edited.exitCode, edited::toString);
    long[] r = report(edited);
    assertEquals(0, r[1], "Byte Buddy sees none: " + edited.stderr);
    assertTrue(r[3] >= lines.size() - kept.size(), "the job's classes answered by their supertypes: " + edited.stderr);
    assertFalse(edited.stderr.contains("building the hooks"), edited::toString);
    assertEquals(opsPerStep("own1"), opsPerStep("own2"), "traced as before");
    JsonNode steps = JSON.readTree(dir.resolve("own2").resolve("summary.json").toFile()).get("steps");
    assertEquals(4, steps.size());
    for (JsonNode step : steps) {
      assertTrue(step.get("breakdown_ns").get("data").asLong() > 0, "the dataset's batches are timed: " + step);
    }
  }

  @Test
  void aCacheFolderOpenToOthersIsRefusedWithOneLine() throws Exception {
    Path cache = dir.resolve("shared");
    Files.createDirectories(cache);
    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
    ChildJvm child = run("open", cache, "io.mltrace.examples.dl4j.Dl4jTraining", "--model", "mlp", "--steps", "4");
    long lines = child.stderr.lines().filter(l -> l.contains("weaving cache off")).count();
    assertEquals(1, lines, child::toString);
    assertTrue(child.stderr.contains("is open to other users"), child::toString);
    assertFalse(child.stderr.contains("classes from it"), "no cache in use: " + child.stderr);
    assertTrue(child.stderr.contains("bridge on the bootstrap path (copied)"), "a bridge of its own: " + child.stderr);
    assertTrue(opsPerStep("open").get(3) > 0, "traced as without the cache");
    try (var files = Files.list(cache)) {
      assertEquals(0, files.count(), "nothing written into a folder others can write");
    }
  }
}
