package io.mltrace.benchmarks.overhead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalogue keeps the comparisons, and how the tables show them, that docs/benchmarks.md's earlier runs used. */
class ComparisonsTest {
  @TempDir
  Path work;

  private Comparisons catalogue(Path agentB) {
    return new Comparisons(Path.of("/build/mltrace-agent.jar"), agentB, 100, work);
  }

  @Test
  void eachModeIsThatModeAgainstNoAgent() {
    Comparison c = catalogue(null).of(Job.DJL_MLP, "default", 3);
    assertEquals("`mode=default,console=off,report_interval=0,output=<tmp>,sample_every=100`", c.a().shown());
    assertEquals(List.of("-javaagent:/build/mltrace-agent.jar=mode=default,console=off,report_interval=0,output="
        + work.resolve("djl-default-3") + ",sample_every=100"), c.a().jvmArgs());
    assertEquals(work.resolve("djl-default-3"), c.a().output());
    assertTrue(c.b().isNone());
    assertEquals("no agent", c.b().shown());
    assertTrue(catalogue(null).of(Job.DL4J_MLP, "aa", 1).a().isNone());
  }

  @Test
  void jfrComparesOffWithAndWithoutJvmEvents() {
    Comparison c = catalogue(null).of(Job.DJL_MLP, "jfr", 1);
    assertEquals("`mode=off,console=off,report_interval=0,output=<tmp>`", c.a().shown());
    assertEquals("`mode=off,jvm_events=off,console=off,report_interval=0,output=<tmp>`", c.b().shown());
  }

  @Test
  void anotherBuildIsATypedJarNotAnOptionsString() throws Exception {
    Path other = Files.createFile(work.resolve("other.jar"));
    Comparison c = catalogue(null).of(Job.DL4J_MLP, "vs:" + other, 2);
    assertEquals("`mode=default,console=off,report_interval=0,output=<tmp>,sample_every=100` (agent other.jar)",
        c.b().shown());
    assertTrue(c.b().jvmArgs().get(0).startsWith("-javaagent:" + other + "=mode=default,"), c.b().jvmArgs()::toString);
    assertThrows(IllegalArgumentException.class, () -> catalogue(null).of(Job.DJL_MLP, "default-vs-b", 1));
    assertEquals(c.b().shown(), catalogue(other).of(Job.DL4J_MLP, "default-vs-b", 2).b().shown());
  }

  @Test
  void bareIsAnyAgentJarWithNoOptionsAgainstNoAgent() throws Exception {
    Path nothing = Files.createFile(work.resolve("does-nothing.jar"));
    Comparison c = catalogue(null).of(Job.DJL_MLP, "bare:" + nothing, 1);
    assertEquals(List.of("-javaagent:" + nothing), c.a().jvmArgs());
    assertEquals("`-javaagent:does-nothing.jar`", c.a().shown());
    assertTrue(c.b().isNone());
    assertThrows(IllegalArgumentException.class,
        () -> catalogue(null).of(Job.DJL_MLP, "bare:" + work.resolve("missing.jar"), 1));
  }

  @Test
  void withAddsItsOptionsToDefaultAgainstNoAgent() {
    Comparison c = catalogue(null).of(Job.DJL_MLP, "with:memory=off+sample_period_ms=0", 2);
    assertEquals("`mode=default,memory=off,sample_period_ms=0,console=off,report_interval=0,output=<tmp>,"
        + "sample_every=100`", c.a().shown());
    assertEquals(List.of("-javaagent:/build/mltrace-agent.jar=mode=default,memory=off,sample_period_ms=0,console=off,"
        + "report_interval=0,output=" + work.resolve("djl-with_memory_off_sample_period_ms_0-2")
        + ",sample_every=100"), c.a().jvmArgs());
    assertTrue(c.b().isNone());
  }

  @Test
  void rejectsAnUnknownComparisonByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> catalogue(null).of(Job.DJL_MLP, "fulll", 1));
    assertTrue(e.getMessage().contains("unknown comparison 'fulll'"), e.getMessage());
  }

  @Test
  void peersOfOneFrameworkApplyToItsJobsOnly() {
    assertTrue(Peer.DJL_PROFILER.appliesTo(Job.DJL_LSTM));
    assertTrue(!Peer.DJL_PROFILER.appliesTo(Job.DL4J_CNN));
    assertTrue(Peer.DL4J_OP_PROFILER.appliesTo(Job.DL4J_MLP));
    assertTrue(Peer.JFR_PROFILE.appliesTo(Job.DJL_CNN) && Peer.JFR_PROFILE.appliesTo(Job.DL4J_CNN));
    assertEquals(Peer.ASYNC_WALL, Peer.named("async-wall"));
  }

  @Test
  void rewritesOnlyTheGeneratedSectionOfTheDoc() throws Exception {
    Path doc = work.resolve("benchmarks.md");
    Files.writeString(doc, "# before\n");
    PeersSection.write(doc, "first table");
    PeersSection.write(doc, "second table");
    Files.writeString(doc, Files.readString(doc) + "after\n");
    PeersSection.write(doc, "third table");
    String text = Files.readString(doc);
    assertTrue(text.startsWith("# before\n"), text);
    assertTrue(text.endsWith(PeersSection.END + "\nafter\n"), text);
    assertTrue(text.contains("third table") && !text.contains("second table") && !text.contains("first table"), text);
  }
}
