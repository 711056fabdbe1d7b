package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supported DJL range: with the oldest supported DJL ({@code djl.oldest.version} in the root pom) and with the
 * current one, every hooked class is loaded under the agent (no native library needed) and Byte Buddy's dump of
 * the transformed classes is read back: each hooked method must call the recorder, no hook may be reported as
 * skipped, and metadata reads must stay untouched.
 */
class DjlVersionRangeIT {
  /** Hooked class → methods that must carry advice. */
  static final Map<String, List<String>> ADVISED = new LinkedHashMap<>();

  static {
    ADVISED.put("ai.djl.pytorch.jni.JniUtils", List.of("linear", "matmul", "bmm", "dot", "convolution", "lstm",
        "gru", "rnn", "to", "relu", "add", "softmax", "sgdUpdate", "zeroGrad", "getByteBuffer", "set"));
    ADVISED.put("ai.djl.nn.AbstractBaseBlock", List.of("forward"));
    ADVISED.put("ai.djl.training.Trainer", List.of("step", "forward", "notifyListeners", "iterateDataset",
        "evaluate"));
    ADVISED.put("ai.djl.training.dataset.DataIterable", List.of("next"));
    ADVISED.put("ai.djl.translate.StackBatchifier", List.of("batchify"));
    ADVISED.put("ai.djl.training.EasyTrain", List.of("trainBatch", "validateBatch", "evaluateDataset"));
    ADVISED.put("ai.djl.training.loss.SoftmaxCrossEntropyLoss", List.of("evaluate"));
    ADVISED.put("ai.djl.training.loss.L2Loss", List.of("evaluate"));
    ADVISED.put("ai.djl.pytorch.engine.PtGradientCollector", List.of("backward"));
    ADVISED.put("ai.djl.inference.Predictor", List.of("batchPredict", "predictInternal"));
    ADVISED.put("ai.djl.BaseModel", List.of("save"));
    ADVISED.put("ai.djl.training.evaluator.AbstractAccuracy", List.of("updateAccumulator"));
    ADVISED.put("ai.djl.translate.NoopTranslator", List.of("processInput", "processOutput"));
  }

  @Test
  void everyHookAppliesToTheOldestSupportedDjl(@TempDir Path dump) throws Exception {
    Path dir = Paths.get(System.getProperty("mltrace.djl.oldest.dir"));
    String version = System.getProperty("mltrace.djl.oldest.version");
    String cp = String.join(File.pathSeparator, testClasses(),
        dir.resolve("api-" + version + ".jar").toString(),
        dir.resolve("pytorch-engine-" + version + ".jar").toString(), slf4j());
    checkAllHooksApply(cp, dump);
  }

  @Test
  void everyHookAppliesToTheCurrentDjl(@TempDir Path dump) throws Exception {
    List<String> djl = Stream.of(ChildJvm.examplesClasspath().split(File.pathSeparator))
        .filter(p -> p.contains("/ai/djl/api/") || p.contains("pytorch-engine") || p.contains("slf4j-api"))
        .collect(Collectors.toList());
    assertEquals(3, djl.size(), djl::toString);
    checkAllHooksApply(testClasses() + File.pathSeparator + String.join(File.pathSeparator, djl), dump);
  }

  private static void checkAllHooksApply(String classpath, Path dump) throws Exception {
    ChildJvm run = ChildJvm.runWithClasspath("console=off,output=" + dump.resolve("out"),
        List.of("-Dio.mltrace.shaded.net.bytebuddy.dump=" + dump), classpath, LoadClasses.class.getName(),
        ADVISED.keySet().toArray(new String[0]));
    assertEquals(0, run.exitCode, run::toString);
    assertFalse(run.stdout.contains("missing"), run::toString);
    assertFalse(run.stderr.contains("skipped"), run::toString);
    assertFalse(run.stderr.contains("could not instrument"), run::toString);
    for (Map.Entry<String, List<String>> e : ADVISED.entrySet()) {
      Set<String> advised = methodsCallingTheRecorder(dumped(dump, e.getKey(), false));
      // A method this version lacks while its hook's other methods exist (bmm before 0.18) needs no advice.
      Set<String> declared = declaredMethods(dumped(dump, e.getKey(), true));
      for (String method : e.getValue()) {
        assertTrue(advised.contains(method) || !declared.contains(method),
            e.getKey() + "." + method + " carries no advice: " + advised);
      }
      assertTrue(advised.containsAll(e.getValue().subList(0, 1)), e.getKey() + ": " + advised);
      if (e.getKey().endsWith("JniUtils")) {
        for (String metadata : List.of("getShape", "getDataType", "getDevice", "getGradient", "backward")) {
          assertFalse(advised.contains(metadata), metadata + " is not an op");
        }
      }
    }
  }

  /** Byte Buddy's dump of a class: the transformed one, or the original it was made from. */
  private static Path dumped(Path dump, String className, boolean original) throws IOException {
    String prefix = className + (original ? "-original." : ".");
    try (Stream<Path> files = Files.list(dump)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError(className + " was not transformed"));
    }
  }

  private static Set<String> declaredMethods(Path classFile) throws IOException {
    Set<String> names = new HashSet<>();
    new ClassReader(Files.readAllBytes(classFile)).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
        names.add(name);
        return null;
      }
    }, ClassReader.SKIP_CODE);
    return names;
  }

  private static Set<String> methodsCallingTheRecorder(Path classFile) throws IOException {
    Set<String> names = new HashSet<>();
    new ClassReader(Files.readAllBytes(classFile)).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          @Override
          public void visitMethodInsn(int op, String owner, String method, String d, boolean itf) {
            if (owner.equals("io/mltrace/bootstrap/Recorder")) {
              names.add(name);
            }
          }
        };
      }
    }, ClassReader.SKIP_DEBUG);
    return names;
  }

  private static String testClasses() {
    return System.getProperty("mltrace.test.classes", "target/test-classes");
  }

  private static String slf4j() throws IOException {
    List<String> found = new ArrayList<>();
    for (String p : ChildJvm.examplesClasspath().split(File.pathSeparator)) {
      if (p.contains("slf4j-api")) {
        found.add(p);
      }
    }
    assertEquals(1, found.size(), found::toString);
    return found.get(0);
  }
}
