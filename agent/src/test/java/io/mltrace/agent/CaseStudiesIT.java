package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mltrace analyze} on real case-study runs (small sizes): an LSTM language model with one and with two
 * layers, and a Transformer encoder. The FLOPs the agent counted must match the analytic models the analysis
 * documents.
 */
class CaseStudiesIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int H = 32;
  static final int T = 8;
  static final int B = 4;
  static final int VOCAB = 16;
  static final int D = 32;
  static final int HEADS = 4;
  static final int SEQ = 16;
  static final int FFN = 64;
  static final int TB = 2;
  static final int LAYERS = 2;

  @TempDir
  static Path dir;
  static JsonNode analysis;

  @BeforeAll
  static void runAndAnalyze() throws Exception {
    for (int layers = 1; layers <= 2; layers++) {
      run("lstm" + layers, "model=lstm\nhidden=" + H + "\ntime_steps=" + T + "\nbatch=" + B + "\nvocab=" + VOCAB
          + "\nlayers=" + layers + "\n", "io.mltrace.examples.djl.LstmLanguageModel", "--hidden", "" + H,
          "--time-steps", "" + T, "--batch", "" + B, "--vocab", "" + VOCAB, "--layers", "" + layers, "--steps", "4");
    }
    run("transformer", "model=transformer\nlayers=" + LAYERS + "\nmodel_dim=" + D + "\nheads=" + HEADS
        + "\nseq_len=" + SEQ + "\nbatch=" + TB + "\nffn=" + FFN + "\n",
        "io.mltrace.examples.djl.TransformerEncoderTraining", "--layers", "" + LAYERS, "--model-dim", "" + D,
        "--heads", "" + HEADS, "--seq-len", "" + SEQ, "--batch", "" + TB, "--ffn", "" + FFN, "--steps", "4");
    Path doc = dir.resolve("doc").resolve("case-studies.md");
    Files.createDirectories(doc.getParent());
    Cli cli = Cli.run(Paths.get(System.getProperty("java.home")), "analyze", dir.toString(), "--doc",
        doc.toString());
    assertEquals(0, cli.exitCode, cli::toString);
    analysis = JSON.readTree(dir.resolve("analysis.json").toFile());
    assertTrue(Files.size(doc.getParent().resolve("case-studies").resolve("lstm-layers.png")) > 1000, "figure");
    assertTrue(Files.readString(doc).contains("## LSTM language model"), "page written");
  }

  private static void run(String name, String properties, String main, String... args) throws Exception {
    Path out = dir.resolve(name);
    Files.createDirectories(out);
    Files.writeString(out.resolve("case.properties"), properties);
    ChildJvm run = ChildJvm.run("output=" + out + ",report_interval=0,mode=full,console=off", List.of(), main, args);
    assertEquals(0, run.exitCode, run::toString);
  }

  @Test
  void theLstmPerLayerSlopeIsSixteenHSquaredPerSampleAndTimeStep() {
    JsonNode lstm = analysis.get("lstm");
    double expected = 16.0 * H * H * B * T;
    assertEquals(expected, lstm.get("expected_slope").asDouble());
    assertTrue(Math.abs(lstm.get("slope").asDouble() / expected - 1) <= 0.01, lstm.toString());
  }

  @Test
  void theLstmModelsGemmFlopsAreExactlyTheLayersAndTheHead() {
    JsonNode lstm = analysis.get("lstm");
    for (int i = 0; i < 2; i++) {
      long layers = lstm.get("layers").get(i).asLong();
      long exact = layers * 16L * H * H * B * T + 2L * H * VOCAB * B * T;
      assertEquals(exact, lstm.get("flops").get(i).asLong(), lstm.toString());
    }
  }

  @Test
  void transformerFlopsMatchTheDocumentedFormula() {
    JsonNode t = analysis.get("transformer");
    double formula = LAYERS * (8.0 * TB * SEQ * D * D + 4.0 * TB * SEQ * SEQ * D + 4.0 * TB * SEQ * D * FFN);
    assertEquals(formula, t.get("formula").get(0).asDouble(), 1e-6);
    double measured = t.get("flops").get(0).asDouble();
    assertTrue(Math.abs(measured / formula - 1) <= 0.02, measured + " vs " + formula);
  }
}
