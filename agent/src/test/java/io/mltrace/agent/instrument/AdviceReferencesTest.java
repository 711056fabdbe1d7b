package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mltrace.agent.djl.DjlInstrumentation;
import io.mltrace.agent.instrument.AdviceReferences.Reference;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.instrument.IllegalClassFormatException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * The check before a hook is installed covers what its advice's bytecode uses, no less: real DJL class files, the
 * real DJL hooks, and a framework class rewritten without one member an advice calls.
 */
class AdviceReferencesTest {
  static final String JNI_UTILS = "ai/djl/pytorch/jni/JniUtils";
  static final ClassFileLocator AGENT = ClassFileLocator.ForClassLoader.of(Installer.class.getClassLoader());

  @Test
  void referencesAreReadFromTheAdviceBytecode() throws IOException {
    List<Reference> linear = AdviceReferences.of("io.mltrace.agent.djl.GemmAdvice", AGENT);
    // getDataType was in no hand-written list: a DJL without it would have been let through.
    assertTrue(linear.contains(new Reference("ai.djl.ndarray.NDArray", "getDataType",
        "()Lai/djl/ndarray/types/DataType;", false)), linear::toString);
    assertTrue(linear.contains(new Reference("ai.djl.ndarray.types.Shape", "getShape", "()[J", false)),
        linear::toString);
    assertFalse(linear.stream().anyMatch(r -> r.type().startsWith("io.mltrace.bootstrap.")
        || r.type().startsWith("java.")), "the bridge and the JDK are not framework references: " + linear);

    List<Reference> loopStart = AdviceReferences.of("io.mltrace.agent.djl.LoopStartAdvice", AGENT);
    assertTrue(loopStart.contains(new Reference("ai.djl.training.dataset.DataIterable", null, null, false)),
        "an instanceof test needs the class: " + loopStart);
    assertTrue(loopStart.contains(new Reference("ai.djl.pytorch.jni.JniUtils", "stopProfile",
        "(Ljava/lang/String;)V", false)), loopStart::toString);

    assertEquals(List.of(), AdviceReferences.of(SpanAdvice.class.getName(), AGENT),
        "a phase span uses the bridge only");
  }

  @Test
  void aRemovedMemberSkipsOnlyTheHooksWhoseAdviceUsesItWithOneLine() throws Exception {
    // DataType.getNumOfBytes is used by the copy advice (JniUtils.to) alone.
    Without loader = new Without("ai/djl/ndarray/types/DataType", "getNumOfBytes");
    Transformed t = transformJniUtils(loader, 2);

    assertEquals(1, t.lines.size(), "one line, however often the class is seen: " + t.lines);
    String line = t.lines.get(0);
    assertTrue(line.startsWith("mltrace: djl hook ai.djl.pytorch.jni.JniUtils.to(3) skipped: ")
        && line.contains("method ai.djl.ndarray.types.DataType.getNumOfBytes() not found")
        && line.contains("CopyAdvice"), line);
    assertFalse(t.advised.contains("to"), "the copy hook is not installed: " + t.advised);
    assertTrue(t.advised.containsAll(Set.of("linear", "matmul", "relu", "getByteBuffer")),
        "the other hooks on the same class still apply: " + t.advised);
  }

  @Test
  void aMemberNoHandWrittenListNamedIsCheckedToo() throws Exception {
    Without loader = new Without("ai/djl/ndarray/NDArray", "getDataType");
    Transformed t = transformJniUtils(loader, 1);

    assertTrue(t.lines.stream().anyMatch(l -> l.contains("JniUtils.linear(3) skipped")
        && l.contains("ai.djl.ndarray.NDArray.getDataType() not found")), t.lines::toString);
    assertFalse(t.advised.contains("linear"), t.advised::toString);
    assertTrue(t.advised.contains("relu"), "ops whose advice reads no type still apply: " + t.advised);
  }

  @Test
  void everyFrameworkIsCompleteInItsOwnRelease() throws Exception {
    Transformed t = transformJniUtils(new Without("none/None", "none"), 1);
    assertEquals(List.of(), t.lines, "the DJL on the class path has every reference");
    assertTrue(t.advised.containsAll(Set.of("linear", "matmul", "to", "relu", "lstm")), t.advised::toString);
  }

  record Transformed(List<String> lines, Set<String> advised) {}

  /** Transforms DJL's {@code JniUtils} as if {@code loader} loaded it, {@code times} times; stderr captured. */
  private static Transformed transformJniUtils(ClassLoader loader, int times) throws Exception {
    byte[] original;
    try (InputStream in = loader.getResourceAsStream(JNI_UTILS + ".class")) {
      assertNotNull(in, "DJL's engine is on the test class path");
      original = in.readAllBytes();
    }
    Installer installer = new Installer();
    var transformer = installer.builder(List.of(new DjlInstrumentation()), false, 1,
        AgentBuilder.RedefinitionStrategy.Listener.NoOp.INSTANCE).makeRaw();
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    byte[] result = null;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (int i = 0; i < times; i++) {
        result = transform(transformer, loader, original);
      }
    } finally {
      System.setErr(err);
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("mltrace:"))
        .toList();
    return new Transformed(lines, advisedMethods(result == null ? original : result));
  }

  private static byte[] transform(java.lang.instrument.ClassFileTransformer transformer, ClassLoader loader,
      byte[] bytes) throws IllegalClassFormatException {
    return transformer.transform(loader, JNI_UTILS, null, null, bytes);
  }

  /** The methods whose code calls the recording bridge: those an advice was inlined into. */
  private static Set<String> advisedMethods(byte[] classFile) {
    Set<String> advised = new HashSet<>();
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          @Override
          public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
            if (owner.equals("io/mltrace/bootstrap/Recorder")) {
              advised.add(name);
            }
          }
        };
      }
    }, 0);
    return advised;
  }

  /** Sees the test class path, except that one class's file lacks every method of one name. */
  static final class Without extends ClassLoader {
    private final String classFile;
    private final String method;

    Without(String internalName, String method) {
      super(AdviceReferencesTest.class.getClassLoader());
      this.classFile = internalName + ".class";
      this.method = method;
    }

    @Override
    public InputStream getResourceAsStream(String name) {
      InputStream in = super.getResourceAsStream(name);
      if (!name.equals(classFile) || in == null) {
        return in;
      }
      try (in) {
        ClassWriter writer = new ClassWriter(0);
        new ClassReader(in.readAllBytes()).accept(new ClassVisitor(Opcodes.ASM9, writer) {
          @Override
          public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
              String[] exceptions) {
            return name.equals(method) ? null : super.visitMethod(access, name, descriptor, signature, exceptions);
          }
        }, 0);
        return new ByteArrayInputStream(writer.toByteArray());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
