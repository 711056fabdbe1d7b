package io.mltrace.agent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The recorder's configuration has one writer each: the sampling policy is {@link DetailControl}'s, the recording
 * switch and the ring size are the agent's lifecycle's ({@code AgentRuntime}; the switch through
 * {@code StartingCollector}, which keeps it off when the collector's build beside the job failed). A main source file
 * anywhere in the
 * product that writes them fails this test (tests and benchmarks configure their own recorders freely).
 */
class ConfigurationOwnersTest {
  private static final Map<String, List<String>> OWNERS = Map.of(
      "Sampling.install(", List.of("DetailControl.java"),
      "Sampling.update(", List.of(),
      "Recorder.setEnabled(", List.of("StartingCollector.java"),
      "ThreadRegistry.setRingCapacity(", List.of("AgentRuntime.java"));

  @Test
  void eachSwitchIsWrittenOnlyByItsOwner() throws IOException {
    Path root = Paths.get("").toAbsolutePath().getParent(); // the agent module runs its tests in agent/
    Map<String, List<String>> writers = new TreeMap<>();
    for (String module : List.of("agent", "collector", "exporters")) {
      Path sources = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList())) {
          String text = Files.readString(f);
          for (String call : OWNERS.keySet()) {
            if (text.contains(call)) {
              writers.computeIfAbsent(call, k -> new java.util.ArrayList<>()).add(f.getFileName().toString());
            }
          }
        }
      }
    }
    for (Map.Entry<String, List<String>> e : OWNERS.entrySet()) {
      assertEquals(e.getValue(), writers.getOrDefault(e.getKey(), List.of()), e.getKey() + " written by");
    }
    assertEquals(3, writers.size(), "every owned switch is written somewhere: " + writers);
  }
}
