package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * The weaving of {@code java.lang.Shutdown} on this JDK's own class file: one call, first thing in {@code exit(I)V},
 * nothing else changed. That the woven class runs (and what the call does at exit) is {@code ExitWaitIT}'s part.
 */
class ShutdownHookInTest {
  @Test
  void exitCallsTheEntryFirstAndNothingElseChanges() throws Exception {
    byte[] original = jdkClass("java/lang/Shutdown");
    byte[] woven = ShutdownHookIn.weave(original);
    assertNotNull(woven, "no static exit(int) in this JDK's java.lang.Shutdown");
    Map<String, List<String>> before = instructions(original);
    Map<String, List<String>> after = instructions(woven);
    assertEquals(before.keySet(), after.keySet());
    for (String method : before.keySet()) {
      List<String> expected = new ArrayList<>(before.get(method));
      if (method.equals("exit(I)V")) {
        expected.add(0, "invokestatic io/mltrace/bootstrap/ShutdownEntry.beforeShutdown()V");
      }
      assertEquals(expected, after.get(method), method);
    }
  }

  @Test
  void aClassWithoutTheExitMethodIsLeftAlone() throws Exception {
    assertNull(ShutdownHookIn.weave(jdkClass("java/lang/Runtime")), "Runtime.exit(int) is not static");
    byte[] object = jdkClass("java/lang/Object");
    assertNull(ShutdownHookIn.weave(object));
    assertArrayEquals(object, jdkClass("java/lang/Object"));
  }

  private static byte[] jdkClass(String name) throws Exception {
    try (InputStream in = Object.class.getResourceAsStream("/" + name + ".class")) {
      return in.readAllBytes();
    }
  }

  /** Each method's instructions as text: opcode and, for calls, owner, name and descriptor. */
  private static Map<String, List<String>> instructions(byte[] classFile) {
    Map<String, List<String>> methods = new LinkedHashMap<>();
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        List<String> code = new ArrayList<>();
        methods.put(name + descriptor, code);
        return new MethodVisitor(Opcodes.ASM9) {
          @Override
          public void visitInsn(int opcode) {
            code.add("insn " + opcode);
          }

          @Override
          public void visitVarInsn(int opcode, int var) {
            code.add("var " + opcode + " " + var);
          }

          @Override
          public void visitJumpInsn(int opcode, net.bytebuddy.jar.asm.Label label) {
            code.add("jump " + opcode);
          }

          @Override
          public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            code.add("field " + opcode + " " + owner + "." + name);
          }

          @Override
          public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean itf) {
            code.add((opcode == Opcodes.INVOKESTATIC ? "invokestatic " : "invoke " + opcode + " ") + owner + "."
                + name + descriptor);
          }
        };
      }
    }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    return methods;
  }
}
